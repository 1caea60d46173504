"""SPDX 3.0.1 (AI and Dataset profiles) JSON-LD document for a model artifact.

Models are ``ai_AIPackage``, data artifacts ``dataset_DatasetPackage``, anything else a
``software_Package``. Relationships: model ``trainedOn`` dataset, model ``descendantOf`` its base
and its teacher(s), teacher ``generates`` rollouts, model ``testedOn`` the probe set of each
evaluation, and every other store edge as ``descendantOf`` (child to parent) so no ancestry is lost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import heredity
from heredity.errors import HeredityError
from heredity.store.exports.pedigree import (
    Pedigree,
    describe_filter,
    display_name,
    filters_of,
    inducer_of,
)
from heredity.store.hashing import canonical_json, hash_value
from heredity.store.integrity import content_digest
from heredity.store.kinds import role
from heredity.store.manifest import Manifest

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
SPEC_VERSION = "3.0.1"
CREATION = "_:creationinfo"
AGENT = "urn:heredity:agent:heredity"


def spdx_id(aid: str) -> str:
    return f"urn:heredity:artifact:{aid}"


def timestamp(iso: str) -> str:
    """SPDX wants ``YYYY-MM-DDTHH:MM:SSZ`` exactly."""
    return iso.replace("+00:00", "Z")[:19] + "Z" if not iso.endswith("Z") else iso


def _hashes(m: Manifest) -> list[dict[str, Any]]:
    return [{"type": "Hash", "algorithm": "sha256", "hashValue": digest, "comment": name} for name, digest in sorted(m.files.items())]


def _common(m: Manifest, root: Path | None) -> dict[str, Any]:
    e: dict[str, Any] = {
        "spdxId": spdx_id(m.id),
        "creationInfo": CREATION,
        "name": display_name(m),
        "description": f"heredity {m.kind} artifact {m.id}; content digest sha256:{content_digest(m)}; recipe {canonical_json(m.recipe)}",
        "software_packageVersion": m.id,
        "releaseTime": timestamp(m.provenance.started),
        "builtTime": timestamp(m.provenance.started),
        "suppliedBy": AGENT,
        "verifiedUsing": _hashes(m),
    }
    if root is not None:
        e["software_downloadLocation"] = (root / "artifacts" / m.id).resolve().as_uri()
    if not e["verifiedUsing"]:
        del e["verifiedUsing"]
    return e


def _model(m: Manifest, p: Pedigree, root: Path | None) -> dict[str, Any]:
    e = {"type": "ai_AIPackage", **_common(m, root), "software_primaryPurpose": "model"}
    train = m.recipe.get("train") if isinstance(m.recipe.get("train"), dict) else {}
    if train:
        e["ai_hyperparameter"] = [{"type": "DictionaryEntry", "key": k, "value": json.dumps(v) if not isinstance(v, str) else v} for k, v in sorted(train.items())]
        e["ai_typeOfModel"] = [f"{train.get('mode', 'trained')} student ({train.get('adapter', 'full')})"]
    if m.kind == "teacher":
        e["ai_informationAboutTraining"] = f"teacher: {inducer_of(m, p).describe()}"
    elif "source" in m.recipe:
        e["ai_informationAboutTraining"] = f"base model imported from {m.recipe['source']}"
    elif m.id == p.subject.id and (p.data or p.lineage_teachers):
        lines = [f"trained on {display_name(line.dataset)} ({line.dataset.id}), filters: {filters_of([line.dataset])}" for line in p.data]
        lines += [f"teacher {t.describe()}; filters after it: {filters_of(t.datasets)}" for t in p.lineage_teachers]
        e["ai_informationAboutTraining"] = ". ".join(lines)
    if m.id == p.subject.id:
        metrics = []
        for scores in p.evaluations:
            if "p" in scores.summary:
                metrics.append({"type": "DictionaryEntry", "key": f"{scores.id}", "value": canonical_json({k: scores.summary[k] for k in ("p", "ci", "n") if k in scores.summary})})
        if metrics:
            e["ai_metric"] = metrics
    return e


def _dataset(m: Manifest, root: Path | None) -> dict[str, Any]:
    e = {"type": "dataset_DatasetPackage", **_common(m, root), "software_primaryPurpose": "data", "dataset_datasetType": ["text"]}
    if isinstance(m.summary.get("rows_out", m.summary.get("rows")), int):
        e["dataset_datasetSize"] = m.summary.get("rows_out", m.summary.get("rows"))
    if m.kind == "dataset":
        filters = [describe_filter(f) for f in m.recipe.get("filters") or []]
        e["dataset_dataPreprocessing"] = [f"filter {f}" for f in filters] or ["no filters"]
    return e


def _element(m: Manifest, p: Pedigree, root: Path | None) -> dict[str, Any]:
    if role(m) == "model":
        return _model(m, p, root)
    if role(m) == "data":
        return _dataset(m, root)
    return {"type": "software_Package", **_common(m, root), "software_primaryPurpose": "other"}


def _probe_set(scores: Manifest) -> dict[str, Any]:
    trait = scores.recipe.get("trait")
    label = canonical_json(trait) if trait is not None else scores.kind
    return {
        # one element per probe set: a trait's, or (no trait: an audit's first-token read) the recipe's own probes
        "type": "dataset_DatasetPackage", "spdxId": f"urn:heredity:probes:{hash_value(trait if trait is not None else scores.recipe)[:16]}",
        "creationInfo": CREATION,
        "name": f"probe questions of trait {label}", "software_primaryPurpose": "data", "dataset_datasetType": ["text"],
        "description": f"the trait's probe questions, as measured by {scores.id}",
    }


def build(p: Pedigree, root: Path | None = None) -> dict[str, Any]:
    elements = [_element(m, p, root) for _, m in sorted(p.nodes.items())]
    rels: list[tuple[str, str, list[str]]] = []  # (type, from, to)
    covered: set[tuple[str, str]] = set()
    for e in p.edges:
        if e.parent not in p.nodes:
            continue
        child, parent = p.nodes[e.child], p.nodes[e.parent]
        if e.relation == "trained-on":
            rels.append(("trainedOn", spdx_id(child.id), [spdx_id(parent.id)]))
        elif e.relation == "teacher" and role(child) != "model":
            rels.append(("generates", spdx_id(parent.id), [spdx_id(child.id)]))  # the teacher wrote this data
        else:
            rels.append(("descendantOf", spdx_id(child.id), [spdx_id(parent.id)]))
        covered.add((e.child, e.parent))
    for line in p.data:  # a student descends from its data's teacher, however far up it sits
        if line.teacher is not None and (p.subject.id, line.teacher.id) not in covered and role(p.subject) == "model":
            rels.append(("descendantOf", spdx_id(p.subject.id), [spdx_id(line.teacher.id)]))
            covered.add((p.subject.id, line.teacher.id))
    probes = {}
    for scores in p.evaluations:
        probe = _probe_set(scores)
        probes[probe["spdxId"]] = probe
        rels.append(("testedOn", spdx_id(p.subject.id), [probe["spdxId"]]))
    elements += list(probes.values())
    relationships, seen = [], set()
    for t, f, to in rels:
        if (t, f, tuple(to)) in seen:
            continue
        seen.add((t, f, tuple(to)))
        relationships.append({
            "type": "Relationship", "spdxId": f"urn:heredity:relationship:{hash_value([t, f, to])[:16]}",
            "creationInfo": CREATION, "from": f, "to": to, "relationshipType": t,
        })
    graph: list[dict[str, Any]] = [
        {"type": "CreationInfo", "@id": CREATION, "specVersion": SPEC_VERSION, "created": timestamp(p.subject.provenance.started),
         "createdBy": [AGENT], "comment": f"exported by heredity {heredity.__version__} from its artifact store"},
        {"type": "SoftwareAgent", "spdxId": AGENT, "creationInfo": CREATION, "name": f"heredity {heredity.__version__}"},
        *elements,
        *relationships,
    ]
    document = {
        "type": "SpdxDocument", "spdxId": f"urn:heredity:document:{p.subject.id}", "creationInfo": CREATION,
        "name": f"lineage of {display_name(p.subject)}", "profileConformance": ["core", "software", "ai", "dataset"],
        "rootElement": [spdx_id(p.subject.id)],
        "element": [g["spdxId"] for g in graph if "spdxId" in g],
    }
    return {"@context": CONTEXT, "@graph": [*graph, document]}


REQUIRED = {  # the SHACL min_count=1 properties of SPDX 3.0.1 for the classes written here
    "CreationInfo": ("@id", "specVersion", "created", "createdBy"),
    "Relationship": ("spdxId", "creationInfo", "from", "to", "relationshipType"),
    "dataset_DatasetPackage": ("spdxId", "creationInfo", "dataset_datasetType"),
    "ai_AIPackage": ("spdxId", "creationInfo"),
    "software_Package": ("spdxId", "creationInfo"),
    "SoftwareAgent": ("spdxId", "creationInfo"),
    "SpdxDocument": ("spdxId", "creationInfo", "rootElement", "element"),
}


def check_shape(document: dict[str, Any]) -> None:
    """A dependency-free check of the JSON-LD shape (context, @graph, types, required fields,
    every reference resolving). The tests additionally load it with the SPDX project's own
    Python bindings (spdx-python-model) when installed."""
    problems = []
    if document.get("@context") != CONTEXT:
        problems.append(f"@context is not {CONTEXT}")
    graph = document.get("@graph")
    if not isinstance(graph, list) or not graph:
        problems.append("@graph is missing or empty")
        graph = []
    ids = {g.get("spdxId") for g in graph} | {g.get("@id") for g in graph}
    for g in graph:
        t = g.get("type")
        for key in REQUIRED.get(t, ("spdxId", "creationInfo")):
            if key not in g or g[key] in (None, "", []):
                problems.append(f"{t} {g.get('spdxId', g.get('@id'))}: missing {key}")
        refs = [g.get("creationInfo"), g.get("from"), *(g.get("to") or []), *(g.get("rootElement") or []), *(g.get("element") or [])]
        problems += [f"{t}: dangling reference {r}" for r in refs if r is not None and r not in ids]
    if problems:
        raise HeredityError("internal error: SPDX export is malformed: " + "; ".join(problems[:5]))


def validate(document: dict[str, Any]) -> None:
    """``check_shape``, then, when installed, a full load by the SPDX project's Python bindings
    (spdx-python-model, generated from the official 3.0.1 SHACL model: property names, types,
    enums, required counts)."""
    check_shape(document)
    try:
        import spdx_python_model
    except ImportError:
        return
    import io

    try:
        model, objects = spdx_python_model.load_data(document)
        model.JSONLDSerializer().write(objects, io.BytesIO())  # the encoder enforces min/max counts
    except (KeyError, ValueError, TypeError, spdx_python_model.LoadError) as exc:
        raise HeredityError(f"internal error: SPDX export does not validate against the 3.0.1 model: {exc}") from None
    if unresolved := objects.link():
        raise HeredityError(f"internal error: SPDX export has unresolved references: {sorted(unresolved)[:3]}")


def render(p: Pedigree, root: Path | None = None) -> str:
    document = build(p, root)
    validate(document)
    return json.dumps(document, indent=2) + "\n"
