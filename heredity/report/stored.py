"""HTML reports of artifacts already in the store: the lineage as inline SVG, one report's page,
and the list of reports (newest first) that ``heredity view`` serves."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from heredity.errors import ConfigError
from heredity.report.html import render_html
from heredity.store import Store


@dataclass(frozen=True)
class ReportEntry:
    id: str
    name: str
    kind: str  # the experiment's kind (recipe ``experiment.kind``), else the artifact's
    started: str


def without_scores(graph: dict) -> dict:
    """The graph with its ``scores`` nodes left out, each score's parent joined to the score's
    children ("measured"). A report's ancestry holds one score per model, trait and seed: drawn
    as nodes they make the picture too wide to read at page width, and the report's tables
    already list them."""
    scores = {aid for aid, node in graph["nodes"].items() if node["kind"] == "scores" and aid != graph["root"]}
    if not scores:
        return graph
    up = {aid: [e["parent"] for e in graph["edges"] if e["child"] == aid] for aid in scores}
    edges: dict[tuple[str, str], dict[str, str]] = {}
    for e in graph["edges"]:
        if e["child"] in scores:
            continue
        sources = up[e["parent"]] if e["parent"] in scores else [e["parent"]]
        for parent in sources:
            relation = "measured" if e["parent"] in scores else e["relation"]
            edges.setdefault((parent, e["child"]), {"parent": parent, "child": e["child"], "relation": relation})
    return {"root": graph["root"], "nodes": {aid: n for aid, n in graph["nodes"].items() if aid not in scores},
            "edges": sorted(edges.values(), key=lambda e: (e["parent"], e["child"], e["relation"]))}


def lineage_svg(store: Store, artifact_id: str) -> str:
    """The artifact's ancestry (scores folded into "measured" edges) drawn by
    ``heredity.store.exports.dot`` (Graphviz when installed, else networkx + matplotlib), as SVG text."""
    import matplotlib

    from heredity.store import lineage
    from heredity.store.exports import dot

    graph = without_scores(lineage.graph(store, artifact_id, "up"))
    with tempfile.TemporaryDirectory(prefix="heredity-lineage-") as tmp, matplotlib.rc_context({"svg.fonttype": "none"}):
        out = Path(tmp) / "lineage.svg"  # fonttype none: labels stay text (searchable, copyable), not glyph paths
        dot.render(graph, out)
        return out.read_text()


def html_for_artifact(store: Store, artifact_id: str, *, lineage: bool = True) -> str:
    """The self-contained page of a stored report artifact (verified on open), with its lineage."""
    artifact = store.open(artifact_id)
    if not artifact.file("report.md").is_file():
        raise ConfigError(f"{artifact_id} is a {artifact.manifest.kind} artifact without report.md; "
                          "accepted: a report artifact (see `heredity ls --kind report`)")
    m = artifact.manifest
    return render_html(artifact.path, title=m.name or m.kind, artifact_id=m.id, date=m.provenance.started,
                       lineage_svg=lineage_svg(store, m.id) if lineage else None)


def report_entries(store: Store) -> list[ReportEntry]:
    """Every artifact holding a report.md, newest first (ties in the start second: last indexed first)."""
    entries = []
    for position, aid in enumerate(store.ids()):
        m = store.manifest(aid)
        if "report.md" not in m.files:
            continue
        experiment = m.recipe.get("experiment")
        if isinstance(experiment, dict):
            experiment = experiment.get("kind")
        kind = experiment if isinstance(experiment, str) else m.kind
        entries.append((m.provenance.started, position, ReportEntry(id=aid, name=m.name or aid, kind=kind, started=m.provenance.started)))
    return [entry for *_, entry in sorted(entries, key=lambda e: e[:2], reverse=True)]
