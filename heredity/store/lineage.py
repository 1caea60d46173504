"""Walks the lineage graph: ancestors, descendants, as a tree or as data."""

from __future__ import annotations

from typing import Any

from rich.tree import Tree

from heredity.store.store import Store


def _label(store: Store, artifact_id: str, relation: str | None) -> str:
    manifest = store.manifest(artifact_id)
    name = f" [bold]{manifest.name}[/]" if manifest.name else ""
    rel = f"[cyan]{relation}[/] ← " if relation else ""
    return f"{rel}[magenta]{manifest.kind}[/]{name} [dim]{artifact_id}[/]"


def ancestors_tree(store: Store, artifact_id: str) -> Tree:
    """The artifact at the root, each parent a branch labelled with its relation."""
    root = Tree(_label(store, artifact_id, None))

    def grow(node: Tree, aid: str, path: tuple[str, ...]) -> None:
        for parent in store.parents(aid):
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
    """Every ancestor once, nearest first: id, kind, name, relation to its child, depth."""
    seen: dict[str, dict[str, Any]] = {}
    frontier = [(artifact_id, 0)]
    while frontier:
        aid, depth = frontier.pop(0)
        for parent in store.parents(aid):
            if parent.id not in seen:
                m = store.manifest(parent.id)
                seen[parent.id] = {"id": parent.id, "kind": m.kind, "name": m.name, "relation": parent.relation, "child": aid, "depth": depth + 1}
                frontier.append((parent.id, depth + 1))
    return list(seen.values())


def descendants(store: Store, artifact_id: str) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    frontier = [(artifact_id, 0)]
    while frontier:
        aid, depth = frontier.pop(0)
        for child, relation in store.children(aid):
            if child not in seen:
                m = store.manifest(child)
                seen[child] = {"id": child, "kind": m.kind, "name": m.name, "relation": relation, "parent": aid, "depth": depth + 1}
                frontier.append((child, depth + 1))
    return list(seen.values())
