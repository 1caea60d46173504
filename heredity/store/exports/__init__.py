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
from heredity.store.exports.pedigree import IncompleteLineage, Pedigree, pedigree
from heredity.store.store import Store


@dataclass(frozen=True)
class Exporter:
    suffix: str
    render: Callable[[Pedigree, Path], str]  # (pedigree, store root) -> document text
    names_every_ancestor: bool = False  # checked on every export: a document that leaves one out is refused


EXPORTERS: Registry[Exporter] = Registry("export format")
EXPORTERS.register("cyclonedx")(Exporter(".cdx.json", lambda p, root: cyclonedx.render(p), names_every_ancestor=True))
EXPORTERS.register("spdx")(Exporter(".spdx.json", spdx.render, names_every_ancestor=True))
EXPORTERS.register("model-card")(Exporter(".md", lambda p, root: model_card.render(p), names_every_ancestor=True))


def export(store: Store, artifact_id: str, fmt: str) -> str:
    """The document text of ``fmt`` for one artifact (a model, typically; any kind works).

    A missing or unreadable ancestor raises ``IncompleteLineage`` (exit 1) before anything is
    rendered; a standard document that does not name every ancestor is never returned."""
    exporter = EXPORTERS.get(fmt)
    p = pedigree(store, artifact_id)
    text = exporter.render(p, store.root)
    left_out = [aid for aid in sorted(p.nodes) if aid not in text] if exporter.names_every_ancestor else []
    if left_out:
        raise IncompleteLineage(f"internal error: the {fmt} export of {artifact_id} leaves out {', '.join(left_out)}; nothing written")
    return text


__all__ = ["EXPORTERS", "Exporter", "IncompleteLineage", "Pedigree", "export", "pedigree"]
