"""The lineage graph as Graphviz DOT, and as a picture (SVG/PNG).

The .dot file is always written. It is rendered by Graphviz ``dot`` when that program is on the
PATH; otherwise by networkx + matplotlib (installed with heredity), with nodes in layers by
generation, so a picture never depends on a system package.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

from heredity.errors import HeredityError
from heredity.store.atomic import write_atomic

COLOURS = {"model": "#cfe2ff", "teacher": "#ffd6a5", "rollouts": "#fdffb6", "dataset": "#caffbf", "scores": "#e0c3fc", "report": "#eeeeee"}
FORMATS = ("svg", "png")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: dict[str, Any]) -> str:
    """``graph``: ``{"root": id, "nodes": {id: {kind, name}}, "edges": [{parent, child, relation}]}``."""
    lines = ["digraph lineage {", "  rankdir=TB;", '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    for aid, node in graph["nodes"].items():
        label = f"{node['kind']}" + (f"\n{node['name']}" if node.get("name") else "") + f"\n{aid}"
        extra = ", penwidth=3" if aid == graph["root"] else ""
        lines.append(f"  {_quote(aid)} [label={_quote(label)}, fillcolor={_quote(COLOURS.get(node['kind'], '#ffffff'))}{extra}];")
    for e in graph["edges"]:
        lines.append(f"  {_quote(e['parent'])} -> {_quote(e['child'])} [label={_quote(e['relation'])}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(graph: dict[str, Any], out: Path) -> list[Path]:
    """Write ``out`` (.svg, .png or .dot) and the .dot beside it; returns the paths written."""
    fmt = out.suffix.lstrip(".").lower()
    if fmt not in (*FORMATS, "dot"):
        raise HeredityError(f"{out}: picture format must be .svg, .png or .dot (got {out.suffix or 'no suffix'})")
    dot_path = out.with_suffix(".dot")
    try:
        write_atomic(dot_path, to_dot(graph))  # never through a link planted at the path
        if fmt == "dot":
            return [dot_path]
        if shutil.which("dot"):
            done = subprocess.run(["dot", f"-T{fmt}", str(dot_path)], check=True, capture_output=True, timeout=120)
            write_atomic(out, done.stdout)
        else:
            _render_matplotlib(graph, out)
    except OSError as exc:
        raise HeredityError(f"cannot write {out}: {exc.strerror or exc}") from None
    except subprocess.CalledProcessError as exc:
        raise HeredityError(f"graphviz dot failed on {dot_path}: {exc.stderr.decode(errors='replace').strip()}") from None
    return [dot_path, out]


def _layers(graph: dict[str, Any]) -> dict[str, int]:
    """Generation of each node: 0 for nodes without parents in the graph, else 1 + deepest parent."""
    parents: dict[str, list[str]] = {aid: [] for aid in graph["nodes"]}
    for e in graph["edges"]:
        parents[e["child"]].append(e["parent"])
    depth: dict[str, int] = {}

    def level(aid: str, trail: frozenset[str] = frozenset()) -> int:
        if aid not in depth:
            ps = [p for p in parents[aid] if p not in trail]
            depth[aid] = 1 + max((level(p, trail | {aid}) for p in ps), default=-1)
        return depth[aid]

    for aid in graph["nodes"]:
        level(aid)
    return depth


def _render_matplotlib(graph: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    g = nx.DiGraph()
    layers = _layers(graph)
    for aid in graph["nodes"]:
        g.add_node(aid, layer=layers[aid])
    for e in graph["edges"]:
        g.add_edge(e["parent"], e["child"], relation=e["relation"])
    by_layer: dict[int, list[str]] = {}
    for aid in sorted(graph["nodes"]):
        by_layer.setdefault(layers[aid], []).append(aid)
    # One row per generation, centred: ancestors on top, descendants below.
    pos = {aid: (i - (len(row) - 1) / 2, -layer) for layer, row in by_layer.items() for i, aid in enumerate(row)}
    width = max(6.0, 2.6 * max(len(row) for row in by_layer.values()))
    fig, ax = plt.subplots(figsize=(width, 1.6 * (max(layers.values()) + 1) + 0.8))
    nx.draw_networkx_edges(g, pos, ax=ax, arrows=True, arrowstyle="-|>", arrowsize=14, edge_color="#555555",
                           min_source_margin=22, min_target_margin=22)
    nx.draw_networkx_edge_labels(g, pos, ax=ax, edge_labels={(e["parent"], e["child"]): e["relation"] for e in graph["edges"]}, font_size=7)
    for aid, (x, y) in pos.items():
        node = graph["nodes"][aid]
        label = node["kind"] + (f"\n{node['name']}" if node.get("name") else "") + f"\n{aid}"
        ax.text(x, y, label, ha="center", va="center", fontsize=7, parse_math=False, bbox={
            "boxstyle": "round,pad=0.4", "facecolor": COLOURS.get(node["kind"], "#ffffff"),
            "edgecolor": "black", "linewidth": 2.5 if aid == graph["root"] else 0.8,
        })
    ax.set_axis_off()
    ax.margins(0.15, 0.1)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format=out.suffix.lstrip(".").lower(), dpi=120)
    plt.close(fig)
    write_atomic(out, buffer.getvalue())
