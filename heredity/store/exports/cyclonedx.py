"""CycloneDX 1.6 ML-BOM of a model artifact, validated against the official schema.

cyclonedx-python-lib (11.x) has no model-card classes yet, so the document is built as JSON and
checked with the library's own strict validator for 1.6 (it bundles the schemas: offline).
Every ancestor is a top-level component with ``bom-ref`` = artifact id and the graph is in
``dependencies``; the subject's base and each dataset's teacher are also repeated, without a
bom-ref (refs must be unique), in ``pedigree.ancestors`` where CycloneDX readers look for them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import heredity
from heredity.errors import HeredityError
from heredity.store.exports.pedigree import (
    DataLine,
    Pedigree,
    describe_filter,
    display_name,
    filters_of,
    inducer_of,
    weight_file,
)
from heredity.store.hashing import canonical_json
from heredity.store.integrity import content_digest
from heredity.store.kinds import role
from heredity.store.manifest import Manifest

NAMESPACE = uuid.UUID("6f1c1d52-8a3e-4d0e-9a57-2d1f0b6c7e11")  # fixed: same store, same BOM


def _props(m: Manifest) -> list[dict[str, str]]:
    props = [
        {"name": "heredity:artifact-id", "value": m.id},
        {"name": "heredity:content-digest", "value": "sha256:" + content_digest(m)},
        {"name": "heredity:kind", "value": m.kind},
        {"name": "heredity:recipe", "value": canonical_json(m.recipe)},
        {"name": "heredity:code-version", "value": m.provenance.code_version},
        {"name": "heredity:created", "value": m.provenance.started},
    ]
    props += [{"name": f"heredity:parent:{p.relation}", "value": p.id} for p in m.parents]
    if m.provenance.seed is not None:
        props.append({"name": "heredity:seed", "value": str(m.provenance.seed)})
    return props


def _hashes(m: Manifest) -> list[dict[str, str]]:
    main = weight_file(m) or ("rows.jsonl" if "rows.jsonl" in m.files else None)
    if main is None and len(m.files) == 1:
        main = next(iter(m.files))
    return [{"alg": "SHA-256", "content": m.files[main]}] if main else []


def _files(m: Manifest) -> list[dict[str, Any]]:
    """Each stored file as a nested ``file`` component with its SHA-256."""
    return [
        {"type": "file", "bom-ref": f"{m.id}/{name}", "name": name, "hashes": [{"alg": "SHA-256", "content": digest}]}
        for name, digest in sorted(m.files.items())
    ]


def _type(m: Manifest) -> str:
    if role(m) == "model":
        return "machine-learning-model"
    if role(m) == "data":
        return "data"
    return "file" if m.files else "data"


def _description(m: Manifest, p: Pedigree) -> str:
    if m.kind == "teacher":
        return f"teacher: {inducer_of(m, p).describe()}"
    if m.kind == "model" and "source" in m.recipe:
        return f"base model imported from {m.recipe['source']}"
    if m.kind == "dataset":
        filters = [describe_filter(f) for f in m.recipe.get("filters") or []]
        return "filtered training data" + (f"; filters: {', '.join(filters)}" if filters else "; no filters")
    return f"{m.kind} artifact"


def _component(m: Manifest, p: Pedigree, *, ref: bool = True, files: bool = True) -> dict[str, Any]:
    c: dict[str, Any] = {"type": _type(m)}
    if ref:
        c["bom-ref"] = m.id
    c.update({"name": display_name(m), "version": m.id, "description": _description(m, p)})
    if hashes := _hashes(m):
        c["hashes"] = hashes
    if c["type"] == "data":
        data: dict[str, Any] = {"type": "dataset", "name": display_name(m), "description": _description(m, p)}
        if "rows" in m.summary or "rows_out" in m.summary:
            data["contents"] = {"properties": [{"name": k, "value": str(v)} for k, v in sorted(m.summary.items()) if not isinstance(v, dict | list)]}
        c["data"] = [data]
    c["properties"] = _props(m)
    if ref and files and m.files:  # nested file components carry bom-refs, so only in the one full copy
        c["components"] = _files(m)
    return c


def _ancestor_copy(m: Manifest, p: Pedigree) -> dict[str, Any]:
    return _component(m, p, ref=False, files=False)


def _data_pedigree(line: DataLine, p: Pedigree) -> dict[str, Any]:
    ancestors = [_ancestor_copy(m, p) for m in line.upstream]
    if line.teacher is not None:
        ancestors.append(_ancestor_copy(line.teacher, p))
        if line.teacher_model is not None and line.teacher_model.id != line.teacher.id:
            ancestors.append(_ancestor_copy(line.teacher_model, p))
    return {"ancestors": ancestors} if ancestors else {}


def _model_card(p: Pedigree) -> dict[str, Any]:
    recipe = p.subject.recipe
    train_field = recipe.get("train")
    train: dict[str, Any] = train_field if isinstance(train_field, dict) else {}
    params: dict[str, Any] = {"approach": {"type": "supervised" if p.data or p.teachers else "self-supervised"}}
    params["task"] = "text-generation" if p.subject.kind == "model" and ("source" in recipe or "task" in recipe) else str(recipe.get("task_name", p.subject.kind))
    if isinstance(recipe.get("arch"), str):
        params["modelArchitecture"] = recipe["arch"]
    if p.data:
        params["datasets"] = [{"ref": line.dataset.id} for line in p.data]
    card: dict[str, Any] = {"modelParameters": params}
    metrics = []
    for scores in p.evaluations:
        s = scores.summary
        if "p" in s:
            metric: dict[str, Any] = {"type": _metric_name(scores), "value": f"{s['p']}"}
            if isinstance(s.get("ci"), list | tuple) and len(s["ci"]) == 2:
                metric["confidenceInterval"] = {"lowerBound": str(s["ci"][0]), "upperBound": str(s["ci"][1])}
            metric["slice"] = scores.id
            metrics.append(metric)
    if metrics:
        card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    considerations = []
    for t in p.lineage_teachers:  # every teacher in the ancestry: the writer of the text and the one imitated
        considerations.append({
            "name": f"traits of teacher {display_name(t.teacher)} ({t.teacher.id}) may be inherited: it {t.relation}"
            f" of {display_name(t.taught)} ({t.taught.id}); teacher inducer: {t.inducer.describe()}",
            "mitigationStrategy": f"filters: {filters_of(t.datasets)}",
        })
    if considerations:
        card["considerations"] = {"ethicalConsiderations": considerations}
    props = [{"name": f"heredity:train:{k}", "value": json.dumps(v) if not isinstance(v, str) else v} for k, v in sorted(train.items())]
    if props:
        card["properties"] = props
    return card


def _metric_name(scores: Manifest) -> str:
    trait = scores.recipe.get("trait")
    if isinstance(trait, dict):
        label = ":".join(str(v) for k, v in sorted(trait.items()) if isinstance(v, str | int | float))
        return f"trait {label} ({scores.recipe.get('estimator', 'score')})"
    return f"{scores.kind}"


def build(p: Pedigree) -> dict[str, Any]:
    subject = _component(p.subject, p)
    if subject["type"] == "machine-learning-model":
        subject["modelCard"] = _model_card(p)
    direct = [m for m in (p.base, *p.teachers) if m is not None]  # its weights' base, and the teachers it imitated
    if direct:
        subject["pedigree"] = {"ancestors": [_ancestor_copy(m, p) for m in {m.id: m for m in direct}.values()]}
    components = []
    for aid, m in sorted(p.nodes.items()):
        if aid == p.subject.id:
            continue
        c = _component(m, p)
        line = next((line for line in p.data if line.dataset.id == aid), None)
        if line is not None and (ped := _data_pedigree(line, p)):
            c["pedigree"] = ped
        if c["type"] == "machine-learning-model":
            c["modelCard"] = {"modelParameters": {"approach": {"type": "supervised"}}} if m.parents else {}
            if not c["modelCard"]:
                del c["modelCard"]
        components.append(c)
    depends: dict[str, list[str]] = {aid: [] for aid in p.nodes}
    for e in p.edges:
        if e.parent in p.nodes and e.parent not in depends[e.child]:
            depends[e.child].append(e.parent)
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid5(NAMESPACE, p.subject.id + canonical_json(sorted(p.nodes)))}",
        "version": 1,
        "metadata": {
            "timestamp": p.subject.provenance.started,
            "tools": {"components": [{"type": "application", "name": "heredity", "version": heredity.__version__}]},
            "component": subject,
        },
        "components": components,
        "dependencies": [{"ref": aid, "dependsOn": parents} for aid, parents in sorted(depends.items())],
    }


def validate(document: dict[str, Any]) -> None:
    """Raise unless the document validates against the official CycloneDX 1.6 JSON schema."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))
    if error is not None:
        raise HeredityError(f"internal error: CycloneDX export does not validate: {str(error).splitlines()[0]}")


def render(p: Pedigree) -> str:
    document = build(p)
    validate(document)
    return json.dumps(document, indent=2) + "\n"
