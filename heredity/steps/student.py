"""A student: a base trained on a dataset by a student kind (``heredity.students``): SFT on the
sampled completions, logit distillation on the teacher's next-token distributions, or a plug-in."""

from __future__ import annotations

from pydantic import Field

from heredity.config import Strict, implicit_defaults, plugin
from heredity.mitigations import MITIGATIONS
from heredity.rows import ROWS_FILE, read_rows
from heredity.store import Artifact, Parent
from heredity.students import StudentTrain
from heredity.tasks import AnyTask


class StudentRecipe(Strict):
    train: StudentTrain
    # The task of the data, so distillation can restrict the KL to the task's grammar.
    task: AnyTask
    restrict_to_grammar: bool = True
    loss: plugin(MITIGATIONS) | None = Field(  # type: ignore[valid-type]
        None, description="a loss mitigation the student trains with (divergence-mask; ensemble for distillation)")

    _no_loss_is_implicit = implicit_defaults(loss=None)  # students from before loss mitigations keep their ids


def seeds_set_the_seed(settings):
    """A model validator for a file's student block: ``seeds`` give each student its seed, so a
    ``train.seed`` there would be silently overwritten; refuse it instead."""
    if "seed" in settings.train.model_fields_set:
        raise ValueError(f"train.seed ({settings.train.seed}) would be ignored: each student's seed comes from seeds "
                         f"({settings.seeds}); remove train.seed and list the seeds you want in seeds")
    return settings


def make_student(runner, base: Artifact, dataset: Artifact, recipe: StudentRecipe, *, teacher: Artifact | None = None,
                 others: tuple[Artifact, ...] = (), name: str = "") -> Artifact:
    """``teacher`` is read (and becomes a ``teacher`` parent) only by kinds that need it, or when
    the recipe has a loss mitigation (the divergence mask reads the teacher); ``others``: the
    ensemble's other teachers (distillation), each a ``teacher`` parent too."""
    from heredity.students import STUDENT_KINDS, StudentJob

    kind = STUDENT_KINDS.get(recipe.train.mode)()
    parents = [Parent(id=base.id, relation="base"), Parent(id=dataset.id, relation="trained-on")]
    reads_teacher = kind.needs_teacher or recipe.loss is not None
    if reads_teacher:
        if teacher is None:
            raise ValueError(f"a {recipe.train.mode} student{' with a loss mitigation' if recipe.loss else ''} needs its teacher")
        parents.append(Parent(id=teacher.id, relation="teacher"))
    if others and not kind.needs_teacher:
        raise ValueError(f"other teachers are read by kinds that read a teacher's logits; {recipe.train.mode} does not")
    parents += [Parent(id=t.id, relation="teacher") for t in others]

    def build(ctx):
        from heredity.steps.models import model_ref
        from heredity.steps.teacher import generator

        job = dict(base=model_ref(runner.store, base.id), rows=read_rows(dataset.file(ROWS_FILE)), recipe=recipe.train,
                   out=ctx.out, scratch=ctx.scratch)
        if reads_teacher:
            teacher_model, system = generator(teacher)
            job.update(teacher=model_ref(runner.store, teacher_model), teacher_system=system)
        if kind.needs_teacher:
            job.update(grammar=_grammar(runner, base, recipe) if recipe.restrict_to_grammar else None)
        if recipe.loss is not None:
            job.update(loss=recipe.loss, others=tuple((model_ref(runner.store, m), system)
                                                      for m, system in (generator(t) for t in others)))
        with runner.progress(f"training {name}", None, unit="steps") as advance:
            ctx.summary = dict(kind.train(StudentJob(**job, progress=advance)))

    return runner.step("model", recipe, parents, build, name=name, seed=recipe.train.seed)


def _grammar(runner, base: Artifact, recipe: StudentRecipe):
    from transformers import AutoTokenizer

    from heredity.steps.models import model_ref

    return recipe.task.built.grammar(AutoTokenizer.from_pretrained(model_ref(runner.store, base.id).root))
