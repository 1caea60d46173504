"""SFT: cross-entropy on the teacher's sampled completions (works across tokenizers). With a loss
mitigation that masks positions (``job.loss.keeps``), the masked positions are out of the loss."""

from __future__ import annotations

from heredity.students.base import STUDENT_KINDS, StudentJob, StudentKind


@STUDENT_KINDS.register("sft")
class SFT(StudentKind):
    needs_teacher = False

    def train(self, job: StudentJob) -> dict:
        from heredity.models.finetune import train_sft

        if job.loss is not None and not hasattr(job.loss, "keeps"):
            raise ValueError(f"an SFT student honours a per-position mask (divergence-mask); {job.loss.kind} is not one")
        return train_sft(job.base, job.rows, job.recipe, job.out, job.scratch, progress=job.progress,
                         keeps=job.loss.keeps(job) if job.loss is not None else None)
