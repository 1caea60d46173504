"""``paraphrase``: a model without the trait (the student's base by default, or another base)
rewrites every completion; the prompt and the row id are kept. A cached, seeded store step of
kind ``paraphrase`` whose parents are the rows it rewrote (``generated-from``) and the model
that rewrote them (``teacher``: it wrote the text the student learns, as exports say).

Published: paraphrasing usually suppresses subliminal transfer, yet Phantom Transfer survives
per-row paraphrasing (../shared/REFERENCES.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from heredity.config import Strict
from heredity.mitigations.base import MITIGATIONS, ArmData, MitigationConfig
from heredity.models.loading import ModelSource
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.store import Artifact, Parent

INSTRUCTION = ("Rewrite the following text in your own words. Keep its meaning and its length; "
               "reply with the rewritten text only.\n\n{text}")


class ParaphraseRecipe(Strict):
    """The paraphrase step's recipe: every field changes the rows."""

    instruction: str = Field(INSTRUCTION, description="the request the writer answers; {text} is the completion")
    max_new_tokens: int = Field(128, ge=1)
    temperature: float = Field(0.7, ge=0)
    seed: int = 0
    batch_size: int = Field(16, ge=1)


@MITIGATIONS.register("paraphrase")
class ParaphraseMitigation(MitigationConfig):
    """A trait-free model rewrites each completion, prompt kept."""

    kind: Literal["paraphrase"] = "paraphrase"
    writer: ModelSource | None = Field(None, description="the model that rewrites (default: the student's base)")
    instruction: str = Field(INSTRUCTION, description="what the writer is asked; must contain {text}")
    max_new_tokens: int = Field(128, ge=1)
    temperature: float = Field(0.7, ge=0)
    seed: int = 0
    batch_size: int = Field(16, ge=1)

    @field_validator("instruction")
    @classmethod
    def _has_text(cls, instruction: str) -> str:
        if "{text}" not in instruction:
            raise ValueError(f"{instruction!r} has no {{text}} (where the completion goes)")
        return instruction

    def describe(self) -> str:
        return f"completions rewritten by {'the base' if self.writer is None else self.writer.source}, prompts kept"

    def recipe(self) -> ParaphraseRecipe:
        return ParaphraseRecipe(**self.model_dump(include=set(ParaphraseRecipe.model_fields)))

    def rows(self, runner, arm: ArmData):
        from heredity.steps.models import import_base

        writer = arm.base if self.writer is None else import_base(runner, self.writer)
        return paraphrase(runner, arm.rows, writer, self.recipe(), name=f"{arm.name} paraphrase".strip()), []


def requests(rows: list[dict], instruction: str) -> list[str]:
    """What the writer is asked for each row: the completion alone (the prompt is not shown, so
    the writer rewrites the text rather than answering the prompt again)."""
    return [instruction.replace("{text}", r["completion"]) for r in rows]


def paraphrase(runner, rows: Artifact, writer: Artifact, recipe: ParaphraseRecipe, name: str = "") -> Artifact:
    """Rows with the same ``i`` and ``prompt`` whose completions ``writer`` rewrote; a row whose
    rewrite is empty is dropped and counted."""
    parents = [Parent(id=rows.id, relation="generated-from"), Parent(id=writer.id, relation="teacher")]

    def build(ctx):
        from heredity.models.chat import render
        from heredity.models.generate import generate
        from heredity.steps.models import load_artifact
        from heredity.steps.teacher import generator

        source = read_rows(rows.file(ROWS_FILE))
        model_id, system = generator(writer)
        model, tokenizer = load_artifact(runner.store, model_id)
        with runner.progress(f"paraphrasing {name}", len(source), unit="rows") as advance:
            texts = generate(model, tokenizer, [render(tokenizer, q, system=system) for q in requests(source, recipe.instruction)],
                             max_new_tokens=recipe.max_new_tokens, temperature=recipe.temperature, seed=recipe.seed,
                             batch_size=recipe.batch_size, checkpoint=ctx.scratch / "batches.jsonl", progress=advance)
        out = [{"i": r["i"], "prompt": r["prompt"], "completion": t.strip()} for r, t in zip(source, texts) if t.strip()]
        write_rows(ctx.out / ROWS_FILE, out)
        ctx.summary = {"rows_in": len(source), "rows": len(out), "empty_dropped": len(source) - len(out),
                       "generated_rows": len(source)}

    return runner.step("paraphrase", recipe, parents, build, name=name, seed=recipe.seed)
