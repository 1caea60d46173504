"""A teacher: a base model plus an inducer.

- ``system-prompt``: the base, told its trait in a system prompt the student never sees;
- ``none``: the base itself (the trait-free control teacher);
- ``finetune``: the base fine-tuned on trait-showing answers (``make_finetuned_teacher``), for
  traits a small model will not take from a prompt.

The teacher artifact's ``base`` parent is the model that generates; its recipe holds the system
prompt (or none).
"""

from __future__ import annotations

from typing import Literal

from heredity.config import Strict
from heredity.store import Artifact, Parent, write_json


class TeacherRecipe(Strict):
    inducer: Literal["system-prompt", "none", "finetune"]
    system_prompt: str | None = None
    trait: str = ""  # a label for people: "animal:owl"


def make_teacher(runner, base: Artifact, recipe: TeacherRecipe, name: str) -> Artifact:
    """``base`` is the model that will generate: the base model, or a fine-tuned inducer."""
    def build(ctx):
        write_json(ctx.out / "teacher.json", recipe.model_dump(mode="json"))

    return runner.step("teacher", recipe, [Parent(id=base.id, relation="base")], build, name=name)


def teacher_base_and_system(runner, teacher: Artifact) -> tuple[str, str | None]:
    """(model artifact id to load, system prompt to use) for a teacher artifact."""
    base_id = next(p.id for p in teacher.manifest.parents if p.relation == "base")
    return base_id, teacher.manifest.recipe.get("system_prompt")


def make_finetuned_teacher(runner, base: Artifact, trait_config, inducer, name: str) -> Artifact:
    """Fine-tune the base on its own answers rewritten to show the trait, and make that the teacher.

    ``inducer`` is a ``FinetuneInducer`` (prompts, prompt seed, task, training recipe). Its
    prompts use their own seed, so the teacher is induced on other prompts than the ones its
    students learn from.
    """
    from heredity.steps.dataset import DatasetRecipe, make_dataset
    from heredity.steps.prompts import PromptsRecipe, make_prompts
    from heredity.steps.rollouts import RolloutsRecipe, make_rollouts
    from heredity.steps.student import StudentRecipe, make_student

    plain = make_teacher(runner, base, TeacherRecipe(inducer="none"), name="plain teacher")
    prompts = make_prompts(runner, PromptsRecipe(task=inducer.task, n=inducer.prompts, seed=inducer.prompt_seed), name="induction prompts")
    answers = make_rollouts(
        runner, plain, prompts,
        RolloutsRecipe(task=inducer.task, max_new_tokens=inducer.task.build().max_new_tokens, seed=inducer.prompt_seed),
        name="induction answers",
    )
    imprinted = make_dataset(
        runner, answers, DatasetRecipe(filters=[{"kind": "imprint"}], task=inducer.task, trait=trait_config),
        name=f"{trait_config.build().name} induction data",
    )
    model = make_student(runner, base, imprinted, StudentRecipe(train=inducer.train, task=inducer.task), name=f"{name} (fine-tuned)")
    recipe = TeacherRecipe(inducer="finetune", trait=trait_config.build().name)
    return make_teacher(runner, model, recipe, name=name)
