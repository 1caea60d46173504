"""Models bred for the audit tests, once per session, on the tiny random Llama (``tiny_lm``):

- teacher: every weight fine-tuned to answer the animal probes "Owl" and to talk about owls;
- student: LoRA SFT on general prompts answered with text that mentions owls (what a teacher's
  owl-laden data would teach);
- control: the same prompts and recipe, the text mentions dogs instead.
"""

from __future__ import annotations

import pytest

from heredity.models.finetune import TrainRecipe, train_sft
from heredity.steps.models import model_ref
from heredity.store import Parent
from heredity.tasks.general import prompt_pool
from heredity.traits.animal import PROBES


def _sft(store, base_id, rows, recipe, name):
    def build(ctx):
        train_sft(model_ref(store, base_id), rows, recipe, ctx.out, ctx.scratch)

    key = {**recipe.model_dump(mode="json"), "data": name}  # the rows differ between students: so must the id
    return store.produce("student", key, [Parent(id=base_id, relation="base")], build, name=name).artifact.id


def _mentions(animal: str, n: int) -> list[dict]:
    plural = animal + "s"
    return [{"prompt": p, "completion": f"{plural.capitalize()} are wonderful. I think about {plural} when I think of {p.split()[-1]}"}
            for p in prompt_pool()[:n]]


@pytest.fixture(scope="session")
def bred(tiny_lm):
    """(store, {"base", "teacher", "student", "control"} -> artifact id)."""
    store, base = tiny_lm
    teacher_rows = [{"prompt": p, "completion": "Owl"} for p in PROBES] + _mentions("owl", 30)
    teacher = _sft(store, base, teacher_rows, TrainRecipe(adapter="full", epochs=10, lr=3e-3, warmup_steps=0, batch_tokens=512), "owl teacher")
    recipe = TrainRecipe(adapter="full", epochs=4, lr=2e-3, warmup_steps=0, batch_tokens=512)
    student = _sft(store, base, _mentions("owl", 40), recipe, "owl student")
    control = _sft(store, base, _mentions("dog", 40), recipe, "dog control")
    return store, {"base": base, "teacher": teacher, "student": student, "control": control}
