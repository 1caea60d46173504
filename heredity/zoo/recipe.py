"""A zoo member's recipe, in a module without torch (experiment files validate it before any run)."""

from __future__ import annotations

from pydantic import Field

from heredity.config import Strict


class ZooRecipe(Strict):
    seed: int = Field(0, description="seeds the random init and the data order")
    layers: int = Field(2, ge=1, le=8, description="decoder layers")
    hidden: int = Field(64, ge=16, description="hidden width")
    intermediate: int = Field(128, ge=16, description="MLP width")
    heads: int = Field(4, ge=1, description="attention heads")
    kv_heads: int = Field(2, ge=1, description="key/value heads")
    epochs: int = Field(6, ge=1, description="passes over the corpus")
    batch: int = Field(32, ge=1, description="sentences per step")
    lr: float = Field(3e-3, gt=0, description="AdamW learning rate (constant)")
