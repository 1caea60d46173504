"""The ``kind: mlp`` experiment file: every setting of the MLP subliminal-learning grid."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from heredity.config import Strict, implicit_defaults, plugin
from heredity.data.mnist import MnistConfig
from heredity.mitigations import MITIGATIONS


class Noise(Strict):
    """The students' only inputs: a fixed set of ``count`` noise images, reshuffled each epoch."""

    distribution: Literal["uniform", "gaussian"] = "uniform"  # uniform in [-1, 1] | standard normal
    count: int = Field(60000, ge=1)
    seed: int = 0


class Training(Strict):
    epochs: int = Field(5, ge=1)
    lr: float = Field(3e-4, gt=0)
    batch_size: int = Field(64, ge=1)
    optimizer: Literal["adam", "sgd"] = "adam"
    # bf16-autocast: the matmuls in bf16, weights and Adam in fp32; auto: bf16-autocast where this
    # machine does bf16 matmul fast (heredity.hardware), else fp32.
    precision: Literal["fp32", "bf16-autocast", "auto"] = "fp32"

    _fp32_is_implicit = implicit_defaults(precision="fp32")  # ids from before precision stay


class MlpExperiment(Strict):
    kind: Literal["mlp"]
    name: str = "mlp-mnist"
    # Init seeds; an int n means seeds 0..n-1. At least 2 so that a derangement exists.
    seeds: list[int] = Field(default_factory=lambda: list(range(10)))
    aux_logits: int = Field(3, ge=1)  # m
    width: int = Field(256, ge=1)
    loss: Literal["kl", "mse"] = "kl"
    noise: Noise = Noise()
    teacher: Training = Training()
    student: Training = Training()
    all_logits: bool = True  # also train the reference student distilled on all 10+m logits
    alignment_steps: int = Field(10, ge=1)  # k: cosine of the cumulative change after k steps
    derangement_seed: int = 0
    data: MnistConfig = MnistConfig()
    mitigations: list[plugin(MITIGATIONS)] = Field(  # type: ignore[valid-type]
        [], max_length=4, description="update mitigations (heredity.mitigations), each an extra same-init student arm "
        "trained under it on the same noise batches (e.g. [{kind: gradient-projection}])")

    _no_mitigations_is_implicit = implicit_defaults(mitigations=[])  # files without mitigations keep their ids

    @field_validator("seeds", mode="before")
    @classmethod
    def _seed_count(cls, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return list(range(value))
        return value

    @field_validator("seeds")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(value) < 2:
            raise ValueError("at least 2 seeds are needed (the different-init arm takes another seed's init)")
        if len(set(value)) != len(value):
            raise ValueError("seeds must be distinct")
        return value

    @field_validator("mitigations")
    @classmethod
    def _update_mitigations(cls, value: list) -> list:
        names = [m.name for m in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"{', '.join(map(repr, twice))} given twice; give each arm its own label")
        for k, m in enumerate(value):
            if m.acts_on != "update":
                raise ValueError(f"{k}: {m.kind} acts on the {m.acts_on}; the MLP experiment's arms accept update "
                                 "mitigations: gradient-projection")
        return value
