"""A teacher answers a prompt set: the distillation dataset before filtering.

Generation runs in chunks; each finished chunk is appended to a checkpoint in the step's scratch
folder, so a killed run resumes at the next chunk. Each chunk has its own seed (seed + chunk
number), so an interrupted and an uninterrupted run give the same rows.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field

from heredity.config import Strict, plugin
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.store import Artifact, Parent
from heredity.tasks import TASKS

CHUNK = 256


class RolloutsRecipe(Strict):
    task: plugin(TASKS)
    temperature: float = 1.0
    constrained: bool = True
    max_new_tokens: int = Field(..., ge=1)
    batch_size: int = 64
    dtype: Literal["bfloat16", "float32"] = "bfloat16"
    seed: int = 0


def make_rollouts(runner, teacher: Artifact, prompts: Artifact, recipe: RolloutsRecipe, name: str = "") -> Artifact:
    parents = [Parent(id=teacher.id, relation="teacher"), Parent(id=prompts.id, relation="input")]

    def build(ctx):
        from heredity.models.chat import render
        from heredity.models.generate import generate
        from heredity.models.loading import load
        from heredity.steps.teacher import teacher_base_and_system

        model_id, system = teacher_base_and_system(runner, teacher)
        model, tokenizer = load(runner.store, model_id, dtype=recipe.dtype)
        task = recipe.task.build()
        grammar = None
        if recipe.constrained and (dfa := task.grammar_dfa()) is not None:
            from heredity.models.grammar import TokenGrammar

            grammar = TokenGrammar.compile(dfa, tokenizer)
        items = read_rows(prompts.file("prompts.jsonl"))
        checkpoint = ctx.scratch / "rows.partial.jsonl"
        done = read_rows(checkpoint) if checkpoint.exists() else []
        done = done[: len(done) - len(done) % CHUNK]  # a torn last chunk is redone whole
        with runner.progress(f"generating {name}", len(items), unit="prompts") as advance:
            advance(len(done))
            with open(checkpoint, "w") as handle:
                for row in done:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                for start in range(len(done), len(items), CHUNK):
                    chunk = items[start : start + CHUNK]
                    texts = generate(
                        model, tokenizer, [render(tokenizer, it["prompt"], system=system) for it in chunk],
                        max_new_tokens=recipe.max_new_tokens, temperature=recipe.temperature,
                        seed=recipe.seed + start // CHUNK, batch_size=recipe.batch_size, grammar=grammar,
                    )
                    for it, text in zip(chunk, texts):
                        handle.write(json.dumps({"i": it["i"], "prompt": it["prompt"], "completion": text}, ensure_ascii=False) + "\n")
                    handle.flush()
                    advance(len(chunk))
        rows = read_rows(checkpoint)
        valid = sum(task.format_ok(r["completion"]) for r in rows)
        write_rows(ctx.out / ROWS_FILE, rows)
        ctx.summary = {"rows": len(rows), "format_ok": valid, "format_ok_rate": round(valid / max(len(rows), 1), 4)}

    return runner.step("rollouts", recipe, parents, build, name=name, seed=recipe.seed)
