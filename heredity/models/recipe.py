"""The training recipe of a student: every setting that changes the result, hashed into its id.

A module of its own, with no torch import, so that reading and validating an experiment file
(which embeds this recipe) stays fast; the loops that use it are in ``finetune`` and ``distill``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity.config import Strict

ALL_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class TrainRecipe(Strict):
    """How a student is trained. Every field changes the result, so all of them are hashed."""

    mode: str = Field("sft", description="the student kind (heredity.students): sft (cross-entropy on sampled completions), "
                      "distill (KL to the teacher's next-token distribution), or a registered plug-in")
    adapter: Literal["lora", "full"] = Field("lora", description="train LoRA adapters (peft) or every weight")
    rank: int = Field(8, ge=1, description="LoRA rank")
    alpha: float = Field(8.0, gt=0, description="LoRA alpha (scale = alpha / rank)")
    dropout: float = Field(0.0, ge=0, lt=1, description="LoRA dropout")
    targets: tuple[str, ...] = Field(ALL_PROJECTIONS, description="module names LoRA adapts (default: all attention and MLP projections)")
    optimizer: Literal["adamw", "sgd"] = Field("adamw", description="adaptive (AdamW) or plain SGD")
    weight_decay: float = Field(0.0, ge=0, description="AdamW decoupled weight decay")
    epochs: int = Field(1, ge=1, description="passes over the rows")
    lr: float = Field(2e-4, gt=0, description="peak learning rate")
    warmup_steps: int = Field(5, ge=0, description="linear warm-up steps from 0 to lr")
    schedule: Literal["linear", "constant"] = Field("linear", description="after warm-up: linear decay to 0, or constant")
    max_grad_norm: float | None = Field(1.0, description="clip the gradient norm (None: no clipping)")
    batch_tokens: int = Field(4096, ge=1, description="tokens (prompt + completion, packed, no padding) per optimizer step")
    max_length: int = Field(500, ge=2, description="longest sequence; completions are cut to fit")
    rows: int | None = Field(None, ge=1, description="train on the first N rows (None: all)")
    seed: int = Field(0, description="seeds the adapter init and the data order")
    precision: Literal["fp32", "bf16-autocast", "bf16", "auto"] = Field(
        "fp32", description="fp32; bf16 autocast; or bf16 base weights with fp32 LoRA weights (LoRA only). "
        "bf16 is for AVX512-BF16/AMX CPUs and GPUs: on an AVX2-only CPU it was measured ~20x slower than fp32. "
        "auto: bf16 (LoRA) or bf16-autocast (full) where this machine does bf16 fast, else fp32 "
        "(heredity.hardware; resolved when the student is built and recorded in its summary)")
    # ``mode`` is checked against the registered student kinds by the steps layer that
    # dispatches on it (``heredity.students.StudentTrain``): this layer never reads it.
