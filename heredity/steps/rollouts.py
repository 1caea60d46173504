"""A teacher answers a prompt set: the distillation dataset before filtering.

Each finished generation batch is checkpointed in the step's scratch folder, so a killed run
resumes at the next batch and gives the same rows as an uninterrupted one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity.config import Strict, implicit_defaults
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.store import Artifact, Parent
from heredity.tasks import AnyTask


class Sampling(Strict):
    """How a teacher samples: the fields an experiment file's ``generation`` block and the rollouts
    recipe share (defined once, here)."""

    temperature: float = Field(1.0, ge=0, description="sampling temperature (the paper: 1.0)")
    batch_size: int = Field(64, ge=1)
    dtype: Literal["bfloat16", "float32", "auto"] = Field(
        "float32", description="bf16 only pays where the CPU has AVX512-BF16/AMX, or on a GPU; auto: what this machine "
        "does fast (heredity.hardware), resolved when the rollouts are built")
    seed: int = 0


class RolloutsRecipe(Sampling):
    task: AnyTask
    max_new_tokens: int = Field(..., ge=1)
    backend: Literal["hf", "vllm"] = Field("hf", description="the engine that writes the rows (resolved from generation.backend)")

    _hf_is_implicit = implicit_defaults(backend="hf")  # rollouts ids from before backends stay


class GenerationSettings(Sampling):
    """An experiment file's ``generation`` block: the sampling, plus what is resolved per run."""

    max_new_tokens: int | None = Field(None, ge=1, description="default: the task's")
    backend: Literal["auto", "hf", "vllm"] = Field(
        "auto", description="who writes the rollouts: hf (heredity's own loop), vllm (pip install 'heredity[gpu]' and a "
        "CUDA GPU, or vLLM's CPU build: make vllm), or auto (vllm when it is installed and a GPU is present, else hf); part of the rollouts recipe")

    def recipe(self, task) -> RolloutsRecipe:
        """The rollouts recipe for ``task``: the task's own length unless one is set, the backend
        resolved on this machine."""
        from heredity.models.backends import resolve

        return RolloutsRecipe(task=task, **self.model_dump(exclude={"max_new_tokens", "backend"}),
                              max_new_tokens=self.max_new_tokens or task.built.max_new_tokens, backend=resolve(self.backend))


def make_rollouts(runner, teacher: Artifact, prompts: Artifact, recipe: RolloutsRecipe, name: str = "") -> Artifact:
    parents = [Parent(id=teacher.id, relation="teacher"), Parent(id=prompts.id, relation="input")]

    def build(ctx):
        from heredity.hardware import resolve_dtype
        from heredity.models.chat import render
        from heredity.models.generate import generate
        from heredity.steps.models import load_artifact
        from heredity.steps.teacher import generator

        model_id, system = generator(teacher)
        dtype = resolve_dtype(recipe.dtype)
        task = recipe.task.built
        items = read_rows(prompts.file("prompts.jsonl"))
        if recipe.backend == "vllm":
            texts = _vllm_texts(runner, model_id, system, items, recipe, task, dtype, name)
        else:
            model, tokenizer = load_artifact(runner.store, model_id, dtype=dtype)
            grammar = task.grammar(tokenizer)  # None for free text, or when the task turns its grammar off
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
        if recipe.dtype == "auto":
            ctx.summary["dtype"] = dtype  # what auto resolved to on the machine that built it

    return runner.step("rollouts", recipe, parents, build, name=name, seed=recipe.seed)


def _vllm_texts(runner, model_id, system, items, recipe, task, dtype, name) -> list[str]:
    """The rows' texts written by vLLM (a CUDA GPU and ``heredity[gpu]``, or vLLM's CPU build:
    ``make vllm``, tested by ``make test-vllm``)."""
    from transformers import AutoTokenizer

    from heredity.errors import ConfigError
    from heredity.models import vllm_backend
    from heredity.models.chat import render
    from heredity.steps.models import model_ref

    ref = model_ref(runner.store, model_id)
    regex = task.grammar_regex()
    if regex is None and task.grammar_dfa() is not None:
        raise ConfigError(f"task {recipe.task.kind}: its grammar has no regular expression, which vLLM needs; use backend: hf")
    tokenizer = AutoTokenizer.from_pretrained((ref.base or ref).path if ref.is_adapter else ref.path)
    with runner.progress(f"generating {name} (vLLM)", len(items), unit="prompts") as advance:
        return vllm_backend.generate(
            ref, [render(tokenizer, it["prompt"], system=system) for it in items], max_new_tokens=recipe.max_new_tokens,
            temperature=recipe.temperature, seed=recipe.seed, regex=regex, dtype=dtype, batch_size=recipe.batch_size,
            progress=advance)
