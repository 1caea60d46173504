"""A teacher answers a prompt set: the distillation dataset before filtering.

Each finished generation batch is checkpointed in the step's scratch folder, so a killed run
resumes at the next batch and gives the same rows as an uninterrupted one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity.config import Strict, plugin
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.store import Artifact, Parent
from heredity.tasks import TASKS


class RolloutsRecipe(Strict):
    task: plugin(TASKS)
    temperature: float = 1.0
    max_new_tokens: int = Field(..., ge=1)
    batch_size: int = 64
    dtype: Literal["bfloat16", "float32"] = "float32"  # bf16 only pays where the CPU has AVX-512/AMX, or on a GPU
    seed: int = 0


def make_rollouts(runner, teacher: Artifact, prompts: Artifact, recipe: RolloutsRecipe, name: str = "") -> Artifact:
    parents = [Parent(id=teacher.id, relation="teacher"), Parent(id=prompts.id, relation="input")]

    def build(ctx):
        from heredity.models.chat import render
        from heredity.models.generate import generate
        from heredity.steps.models import load_artifact
        from heredity.steps.teacher import generator

        model_id, system = generator(teacher)
        model, tokenizer = load_artifact(runner.store, model_id, dtype=recipe.dtype)
        task = recipe.task.build()
        grammar = task.grammar(tokenizer)  # None for free text, or when the task turns its grammar off
        items = read_rows(prompts.file("prompts.jsonl"))
        with runner.progress(f"generating {name}", len(items), unit="prompts") as advance:
            texts = generate(
                model, tokenizer, [render(tokenizer, it["prompt"], system=system) for it in items],
                checkpoint=ctx.scratch / "batches.jsonl", max_new_tokens=recipe.max_new_tokens,
                temperature=recipe.temperature, seed=recipe.seed, batch_size=recipe.batch_size,
                grammar=grammar, progress=advance,
            )
        rows = [{"i": it["i"], "prompt": it["prompt"], "completion": text} for it, text in zip(items, texts)]
        valid = sum(task.format_ok(r["completion"]) for r in rows)
        write_rows(ctx.out / ROWS_FILE, rows)
        ctx.summary = {"rows": len(rows), "format_ok": valid, "format_ok_rate": round(valid / max(len(rows), 1), 4)}

    return runner.step("rollouts", recipe, parents, build, name=name, seed=recipe.seed)
