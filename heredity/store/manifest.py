"""The manifest: what an artifact is, what it came from, and how it was made."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from heredity.store.hashing import hash_value

# Bump when the meaning of a manifest field changes; part of every id.
MANIFEST_SCHEMA = 1

Relation = Literal["base", "teacher", "trained-on", "filtered-from", "generated-from", "evaluated", "data", "control", "input",
                   "selected-by"]


class Parent(BaseModel):
    """A parent as a child names it. ``digest`` is the parent's content digest when the child was
    built (filled in by the store; not part of the child's id, so a rerun still hits the cache)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    relation: Relation
    digest: str | None = None


class Provenance(BaseModel):
    """How the artifact was made. Not part of the id: re-running gives the same id."""

    model_config = ConfigDict(extra="allow")
    heredity_version: str
    code_version: str
    seed: int | None = None
    started: str
    wall_s: float
    hardware: dict[str, Any] = Field(default_factory=dict)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: int = MANIFEST_SCHEMA
    id: str
    kind: str
    name: str = ""
    recipe: dict[str, Any]
    parents: list[Parent] = Field(default_factory=list)
    files: dict[str, str] = Field(default_factory=dict)
    summary: dict[str, Any] = Field(default_factory=dict)
    provenance: Provenance


def artifact_id(kind: str, recipe: dict[str, Any], parents: list[Parent]) -> str:
    """``kind-<16 hex>``: a hash of the kind, the recipe and the parents' ids and relations.

    Parents are hashed in the order given (order can carry meaning, e.g. teacher before base).
    """
    payload = {
        "schema": MANIFEST_SCHEMA,
        "kind": kind,
        "recipe": recipe,
        "parents": [[p.relation, p.id] for p in parents],
    }
    return f"{kind}-{hash_value(payload)[:16]}"
