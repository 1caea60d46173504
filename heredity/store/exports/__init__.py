"""Standard views of the store: CycloneDX ML-BOM, SPDX 3 AI/Dataset, Hugging Face model card.

Each is a pure function of a ``Pedigree`` (the manifests of an artifact and its ancestors), so
exporting never changes the store.
"""

from __future__ import annotations

from heredity.errors import StoreError
from heredity.store.exports import cyclonedx, model_card, spdx
from heredity.store.exports.pedigree import Pedigree, pedigree
from heredity.store.store import Store

FORMATS = {"cyclonedx": ".cdx.json", "spdx": ".spdx.json", "model-card": ".md"}


def export(store: Store, artifact_id: str, fmt: str) -> str:
    """The document text of ``fmt`` for one artifact (a model, typically; any kind works)."""
    if fmt not in FORMATS:
        raise StoreError(f"unknown export format {fmt!r}; accepted: {', '.join(FORMATS)}")
    p = pedigree(store, artifact_id)
    if fmt == "cyclonedx":
        return cyclonedx.render(p)
    if fmt == "spdx":
        return spdx.render(p, store.root)
    return model_card.render(p)


__all__ = ["FORMATS", "Pedigree", "export", "pedigree"]
