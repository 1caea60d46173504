"""SFT: cross-entropy on the teacher's sampled completions (works across tokenizers)."""

from __future__ import annotations

from heredity.students.base import STUDENT_KINDS, StudentJob, StudentKind


@STUDENT_KINDS.register("sft")
class SFT(StudentKind):
    needs_teacher = False

    def train(self, job: StudentJob) -> dict:
        from heredity.models.finetune import train_sft

        return train_sft(job.base, job.rows, job.recipe, job.out, job.scratch, progress=job.progress)
