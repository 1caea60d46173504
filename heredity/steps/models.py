"""The store side of models: import a base as an artifact, and turn a model artifact into the
paths the models layer loads (``ModelRef``). The models layer itself never sees the store."""

from __future__ import annotations

from typing import Any

from heredity.models.loading import ModelRef, ModelSource, convert, load
from heredity.store import Artifact, Store
from heredity.store.kinds import is_adapter, parent


def import_base(store_or_runner: Any, source: ModelSource) -> Artifact:
    """The base model as a store artifact (kind ``model``): converted once, then a cache hit."""

    def build(ctx) -> None:
        ctx.summary = convert(source, ctx.out, ctx.scratch)

    recipe = source.model_dump(mode="json")
    if isinstance(store_or_runner, Store):
        return store_or_runner.produce("model", recipe, [], build, name=source.source).artifact
    return store_or_runner.step("model", recipe, [], build, name=source.source)


def model_ref(store: Store, artifact_id: str) -> ModelRef:
    """Where a model artifact's weights are: its folder, and for an adapter its base's ref."""
    artifact = store.open(artifact_id)
    if not is_adapter(artifact.manifest):
        return ModelRef(artifact.path)
    base_id = parent(artifact.manifest, "base")
    if base_id is None:
        raise ValueError(f"{artifact_id} is a LoRA adapter with no base parent")
    return ModelRef(artifact.path, model_ref(store, base_id))


def load_artifact(store: Store, artifact_id: str, **kwargs):
    """(model, tokenizer) of a model artifact; ``kwargs`` as ``heredity.models.loading.load``."""
    return load(model_ref(store, artifact_id), **kwargs)
