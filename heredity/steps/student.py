"""A student: a base fine-tuned on a dataset (SFT on the sampled completions), or distilled on
a teacher's next-token distributions over the same completions."""

from __future__ import annotations

from heredity.config import Strict, plugin
from heredity.models.finetune import TrainRecipe
from heredity.rows import ROWS_FILE, read_rows
from heredity.store import Artifact, Parent
from heredity.tasks import TASKS


class StudentRecipe(Strict):
    train: TrainRecipe
    # The task of the data, so distillation can restrict the KL to the task's grammar.
    task: plugin(TASKS)
    restrict_to_grammar: bool = True


def make_student(runner, base: Artifact, dataset: Artifact, recipe: StudentRecipe, *, teacher: Artifact | None = None, name: str = "") -> Artifact:
    parents = [Parent(id=base.id, relation="base"), Parent(id=dataset.id, relation="trained-on")]
    if recipe.train.mode == "distill":
        if teacher is None:
            raise ValueError("a distilled student needs its teacher")
        parents.append(Parent(id=teacher.id, relation="teacher"))

    def build(ctx):
        rows = read_rows(dataset.file(ROWS_FILE))
        with runner.progress(f"training {name}", None, unit="steps") as advance:
            if recipe.train.mode == "sft":
                from heredity.models.finetune import train_sft

                stats = train_sft(runner.store, base.id, rows, recipe.train, ctx, progress=advance)
            else:
                from heredity.models.distill import train_distill
                from heredity.steps.teacher import teacher_base_and_system

                teacher_model_id, system = teacher_base_and_system(runner, teacher)
                grammar = _grammar(runner, base, recipe) if recipe.restrict_to_grammar else None
                stats = train_distill(
                    runner.store, base.id, teacher_model_id, system, rows, recipe.train, ctx, grammar=grammar, progress=advance
                )
        ctx.summary = dict(stats)

    return runner.step("model", recipe, parents, build, name=name, seed=recipe.train.seed)


def _grammar(runner, base: Artifact, recipe: StudentRecipe):
    dfa = recipe.task.build().grammar_dfa()
    if dfa is None:
        return None
    from transformers import AutoTokenizer

    from heredity.models.grammar import TokenGrammar

    return TokenGrammar.compile(dfa, AutoTokenizer.from_pretrained(base.path))
