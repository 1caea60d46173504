"""Walks the lineage graph: ancestors, descendants, reach, as a tree, as data, or as a graph.

Ancestors come from manifests (the source of truth); descendants from the index's edges. An
ancestor named in a manifest but absent from the store is shown as ``missing``, never an error:
an auditor must see the hole, not a crash.
"""

from __future__ import annotations

from typing import Any

from rich.tree import Tree

from heredity.display import safe
from heredity.errors import StoreError
from heredity.store.manifest import Parent
from heredity.store.store import Store


def _info(store: Store, aid: str) -> dict[str, str]:
    try:
        m = store.manifest(aid)
    except StoreError:
        return {"kind": "missing", "name": ""}
    return {"kind": m.kind, "name": m.name}


def _parents(store: Store, aid: str) -> list[Parent]:
    try:
        return store.parents(aid)
    except StoreError:
        return []


def _label(store: Store, artifact_id: str, relation: str | None) -> str:
    info = _info(store, artifact_id)
    name = f" [bold]{safe(info['name'])}[/]" if info["name"] else ""  # data, never markup or terminal codes
    rel = f"[cyan]{relation}[/] ← " if relation else ""
    kind = "[red]missing from the store[/]" if info["kind"] == "missing" else f"[magenta]{info['kind']}[/]"
    return f"{rel}{kind}{name} [dim]{artifact_id}[/]"


def ancestors_tree(store: Store, artifact_id: str) -> Tree:
    """The artifact at the root, each parent a branch labelled with its relation."""
    root = Tree(_label(store, artifact_id, None))

    def grow(node: Tree, aid: str, path: tuple[str, ...]) -> None:
        for parent in _parents(store, aid):
            if parent.id in path:  # cannot happen in a content-addressed DAG; guard anyway
                continue
            grow(node.add(_label(store, parent.id, parent.relation)), parent.id, path + (parent.id,))

    grow(root, artifact_id, (artifact_id,))
    return root


def descendants_tree(store: Store, artifact_id: str) -> Tree:
    root = Tree(_label(store, artifact_id, None))

    def grow(node: Tree, aid: str, path: tuple[str, ...]) -> None:
        for child, relation in store.children(aid):
            if child in path:
                continue
            grow(node.add(f"[cyan]as {relation}[/] → " + _label(store, child, None)), child, path + (child,))

    grow(root, artifact_id, (artifact_id,))
    return root


def ancestors(store: Store, artifact_id: str) -> list[dict[str, Any]]:
    """Every ancestor once, nearest first: id, kind, name, relation to its child, depth, path.

    ``path`` is the chain of relations from the artifact up to the ancestor (shortest one)."""
    seen: dict[str, dict[str, Any]] = {}
    frontier: list[tuple[str, int, list[str]]] = [(artifact_id, 0, [])]
    while frontier:
        aid, depth, path = frontier.pop(0)
        for parent in _parents(store, aid):
            if parent.id not in seen and parent.id != artifact_id:
                info = _info(store, parent.id)
                seen[parent.id] = {"id": parent.id, **info, "relation": parent.relation, "child": aid, "depth": depth + 1, "path": path + [parent.relation]}
                frontier.append((parent.id, depth + 1, path + [parent.relation]))
    return list(seen.values())


def descendants(store: Store, artifact_id: str) -> list[dict[str, Any]]:
    """Every descendant once, nearest first, with the chain of relations that reached it."""
    seen: dict[str, dict[str, Any]] = {}
    frontier: list[tuple[str, int, list[str]]] = [(artifact_id, 0, [])]
    while frontier:
        aid, depth, path = frontier.pop(0)
        for child, relation in store.children(aid):
            if child not in seen and child != artifact_id:
                info = _info(store, child)
                seen[child] = {"id": child, **info, "relation": relation, "parent": aid, "depth": depth + 1, "path": path + [relation]}
                frontier.append((child, depth + 1, path + [relation]))
    return list(seen.values())


def reach(store: Store, artifact_id: str, kind: str = "model") -> list[dict[str, Any]]:
    """Every descendant of ``kind``: "every model this teacher's data reached"."""
    return [d for d in descendants(store, artifact_id) if d["kind"] == kind]


def graph(store: Store, artifact_id: str, direction: str = "both") -> dict[str, Any]:
    """Nodes and edges of the artifact's ancestry and/or progeny, for JSON and DOT."""
    nodes = {artifact_id: _info(store, artifact_id)}
    edges: list[dict[str, str]] = []
    if direction in ("up", "both"):
        for a in ancestors(store, artifact_id):
            nodes[a["id"]] = {"kind": a["kind"], "name": a["name"]}
        for aid in list(nodes):
            edges += [{"parent": p.id, "child": aid, "relation": p.relation} for p in _parents(store, aid)]
    if direction in ("down", "both"):
        for d in descendants(store, artifact_id):
            nodes[d["id"]] = {"kind": d["kind"], "name": d["name"]}
        down = [artifact_id] + [d["id"] for d in descendants(store, artifact_id)]
        for aid in down:
            edges += [{"parent": aid, "child": c, "relation": r} for c, r in store.children(aid)]
    # Only edges between shown nodes, each once (a descendant's other parents are not expanded).
    unique = {(e["parent"], e["child"], e["relation"]): e for e in edges if e["parent"] in nodes and e["child"] in nodes}
    return {"root": artifact_id, "nodes": nodes, "edges": sorted(unique.values(), key=lambda e: (e["parent"], e["child"], e["relation"]))}
