"""Logit distillation: KL to the teacher's next-token distributions over the same completions.
With a loss mitigation: positions it masks (``job.loss.keeps``) are out of the KL; with other
teachers (``job.others``, the ensemble) the target is the mean of all their distributions."""

from __future__ import annotations

from heredity.students.base import STUDENT_KINDS, StudentJob, StudentKind


@STUDENT_KINDS.register("distill")
class Distill(StudentKind):
    needs_teacher = True

    def train(self, job: StudentJob) -> dict:
        from heredity.models.distill import train_distill

        if job.teacher is None:
            raise ValueError("a distilled student needs its teacher")
        keeps = job.loss.keeps(job) if job.loss is not None and hasattr(job.loss, "keeps") else None
        return train_distill(job.base, job.teacher, job.teacher_system, job.rows, job.recipe, job.out, job.scratch,
                             grammar=job.grammar, progress=job.progress, keeps=keeps, others=list(job.others))
