"""Standard views of the store: CycloneDX ML-BOM, SPDX 3 AI/Dataset, Hugging Face model card.

Each exporter is registered in ``EXPORTERS`` by its format name, with its file suffix and a
pure function of a ``Pedigree`` (the manifests of an artifact and its ancestors), so exporting
never changes the store. A new format is one module that registers an ``Exporter``::

    EXPORTERS.register("plain")(Exporter(".txt", lambda p, root: p.subject.id + "\n"))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from heredity.registry import Registry
from heredity.store.exports import cyclonedx, model_card, spdx
from heredity.store.exports.pedigree import Pedigree, pedigree
from heredity.store.store import Store


@dataclass(frozen=True)
class Exporter:
    suffix: str
    render: Callable[[Pedigree, Path], str]  # (pedigree, store root) -> document text


EXPORTERS: Registry[Exporter] = Registry("export format")
EXPORTERS.register("cyclonedx")(Exporter(".cdx.json", lambda p, root: cyclonedx.render(p)))
EXPORTERS.register("spdx")(Exporter(".spdx.json", spdx.render))
EXPORTERS.register("model-card")(Exporter(".md", lambda p, root: model_card.render(p)))


def export(store: Store, artifact_id: str, fmt: str) -> str:
    """The document text of ``fmt`` for one artifact (a model, typically; any kind works)."""
    exporter = EXPORTERS.get(fmt)
    return exporter.render(pedigree(store, artifact_id), store.root)


__all__ = ["EXPORTERS", "Exporter", "Pedigree", "export", "pedigree"]
