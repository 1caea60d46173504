"""A student: a base trained on a dataset by a student kind (``heredity.students``): SFT on the
sampled completions, logit distillation on the teacher's next-token distributions, or a plug-in."""

from __future__ import annotations

from heredity.config import Strict
from heredity.rows import ROWS_FILE, read_rows
from heredity.store import Artifact, Parent
from heredity.students import StudentTrain
from heredity.tasks import AnyTask


class StudentRecipe(Strict):
    train: StudentTrain
    # The task of the data, so distillation can restrict the KL to the task's grammar.
    task: AnyTask
    restrict_to_grammar: bool = True


def seeds_set_the_seed(settings):
    """A model validator for a file's student block: ``seeds`` give each student its seed, so a
    ``train.seed`` there would be silently overwritten; refuse it instead."""
    if "seed" in settings.train.model_fields_set:
        raise ValueError(f"train.seed ({settings.train.seed}) would be ignored: each student's seed comes from seeds "
                         f"({settings.seeds}); remove train.seed and list the seeds you want in seeds")
    return settings


def make_student(runner, base: Artifact, dataset: Artifact, recipe: StudentRecipe, *, teacher: Artifact | None = None, name: str = "") -> Artifact:
    """``teacher`` is read (and becomes a ``teacher`` parent) only by kinds that need it."""
    from heredity.students import STUDENT_KINDS, StudentJob

    kind = STUDENT_KINDS.get(recipe.train.mode)()
    parents = [Parent(id=base.id, relation="base"), Parent(id=dataset.id, relation="trained-on")]
    if kind.needs_teacher:
        if teacher is None:
            raise ValueError(f"a {recipe.train.mode} student needs its teacher")
        parents.append(Parent(id=teacher.id, relation="teacher"))

    def build(ctx):
        from heredity.steps.models import model_ref
        from heredity.steps.teacher import generator

        job = dict(base=model_ref(runner.store, base.id), rows=read_rows(dataset.file(ROWS_FILE)), recipe=recipe.train,
                   out=ctx.out, scratch=ctx.scratch)
        if kind.needs_teacher:
            teacher_model, system = generator(teacher)
            job.update(teacher=model_ref(runner.store, teacher_model), teacher_system=system,
                       grammar=_grammar(runner, base, recipe) if recipe.restrict_to_grammar else None)
        with runner.progress(f"training {name}", None, unit="steps") as advance:
            ctx.summary = dict(kind.train(StudentJob(**job, progress=advance)))

    return runner.step("model", recipe, parents, build, name=name, seed=recipe.train.seed)


def _grammar(runner, base: Artifact, recipe: StudentRecipe):
    from transformers import AutoTokenizer

    from heredity.steps.models import model_ref

    return recipe.task.built.grammar(AutoTokenizer.from_pretrained(model_ref(runner.store, base.id).root))
