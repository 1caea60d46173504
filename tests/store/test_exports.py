"""Exports validate against their standards and say what a model descended from."""

from __future__ import annotations

import io
import json

import pytest
import yaml

from heredity.cli import main
from heredity.store.exports import export, model_card, spdx


def cyclonedx_errors(text: str):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    return JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)


def test_cyclonedx_ml_bom_validates_and_has_the_pedigree(family):
    store, ids = family
    text = export(store, ids["student"], "cyclonedx")
    assert cyclonedx_errors(text) is None  # the official 1.6 schema, bundled with cyclonedx-python-lib
    bom = json.loads(text)
    model = bom["metadata"]["component"]
    assert model["type"] == "machine-learning-model" and model["bom-ref"] == ids["student"]
    assert model["modelCard"]["modelParameters"]["approach"]["type"] == "supervised"
    assert model["modelCard"]["modelParameters"]["datasets"] == [{"ref": ids["dataset"]}]
    assert model["pedigree"]["ancestors"][0]["version"] == ids["base"]
    files = {c["name"]: c["hashes"][0] for c in model["components"]}
    assert files["adapter_model.safetensors"] == {"alg": "SHA-256", "content": store.manifest(ids["student"]).files["adapter_model.safetensors"]}
    metric = model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"][0]
    assert metric["value"] == "0.42" and metric["confidenceInterval"] == {"lowerBound": "0.31", "upperBound": "0.53"}
    components = {c["bom-ref"]: c for c in bom["components"]}
    dataset = components[ids["dataset"]]
    assert dataset["type"] == "data" and dataset["data"][0]["type"] == "dataset"
    ancestors = {a["version"]: a for a in dataset["pedigree"]["ancestors"]}
    assert ancestors[ids["teacher"]]["type"] == "machine-learning-model"
    assert "You love owls" in ancestors[ids["teacher"]]["description"]
    deps = {d["ref"]: set(d["dependsOn"]) for d in bom["dependencies"]}
    assert deps[ids["student"]] == {ids["base"], ids["dataset"]} and deps[ids["rollouts"]] == {ids["teacher"], ids["prompts"]}
    assert export(store, ids["student"], "cyclonedx") == text  # deterministic


def test_a_schema_violation_is_caught_by_the_validator(family):
    store, ids = family
    bom = json.loads(export(store, ids["student"], "cyclonedx"))
    bom["metadata"]["component"]["modelCard"]["modelParameters"]["approach"]["type"] = "vibes"
    error = cyclonedx_errors(json.dumps(bom))
    assert error is not None and "vibes" in str(error)


def load_spdx(text: str):
    spdx_python_model = pytest.importorskip("spdx_python_model")
    model, objects = spdx_python_model.load_data(json.loads(text))
    model.JSONLDSerializer().write(objects, io.BytesIO())  # enforces required properties
    assert objects.link() == set()  # every reference resolves
    return model, objects


def test_spdx3_ai_and_dataset_profiles(family):
    store, ids = family
    text = export(store, ids["grandstudent"], "spdx")
    doc = json.loads(text)
    spdx.check_shape(doc)
    assert doc["@context"] == "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    graph = {g.get("spdxId", g.get("@id")): g for g in doc["@graph"]}
    sid = spdx.spdx_id
    assert graph[sid(ids["grandstudent"])]["type"] == "ai_AIPackage"
    assert graph[sid(ids["dataset2"])]["type"] == "dataset_DatasetPackage"
    rels = {(g["relationshipType"], g["from"], tuple(g["to"])) for g in doc["@graph"] if g["type"] == "Relationship"}
    assert ("trainedOn", sid(ids["grandstudent"]), (sid(ids["dataset2"]),)) in rels
    assert ("descendantOf", sid(ids["grandstudent"]), (sid(ids["base"]),)) in rels
    assert ("descendantOf", sid(ids["grandstudent"]), (sid(ids["student"]),)) in rels  # its data's teacher
    assert ("generates", sid(ids["student"]), (sid(ids["rollouts2"]),)) in rels
    assert ("generates", sid(ids["teacher"]), (sid(ids["rollouts"]),)) in rels
    _, objects = load_spdx(text)  # the SPDX project's 3.0.1 bindings accept it
    names = {type(o).__name__ for o in objects.foreach()}
    assert {"ai_AIPackage", "dataset_DatasetPackage", "Relationship", "SpdxDocument", "CreationInfo"} <= names


def test_spdx_student_is_tested_on_its_probes(family):
    store, ids = family
    doc = json.loads(export(store, ids["student"], "spdx"))
    tested = [g for g in doc["@graph"] if g.get("relationshipType") == "testedOn"]
    assert len(tested) == 1 and tested[0]["from"] == spdx.spdx_id(ids["student"])
    load_spdx(json.dumps(doc))


def test_spdx_shape_check_catches_mistakes(family):
    store, ids = family
    doc = json.loads(export(store, ids["student"], "spdx"))
    rel = next(g for g in doc["@graph"] if g["type"] == "Relationship")
    rel["to"] = ["urn:heredity:artifact:nowhere"]
    with pytest.raises(Exception, match="dangling reference"):
        spdx.check_shape(doc)


def test_model_card_front_matter_and_lineage(family):
    store, ids = family
    text = export(store, ids["student"], "model-card")
    meta = model_card.parse_front_matter(text)
    assert meta["base_model"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert meta["base_model_relation"] == "adapter"
    assert meta["datasets"] == [ids["dataset"]]
    assert "heredity" in meta["tags"] and "lora" in meta["tags"]
    body = text.split("\n---\n", 1)[1]
    assert f"**Teacher**: teacher (`{ids['teacher']}`)" in body
    assert "**Inducer**: system prompt: 'You love owls." in body
    assert "**Filters**: `format`, `keyword(words=['owl', 'owls'])`" in body
    second = model_card.parse_front_matter(export(store, ids["grandstudent"], "model-card"))
    assert second["heredity"]["teachers"] == sorted([ids["student"], ids["teacher"]])  # its data's writer, and that one's teacher
    assert "**Inducer**: fine-tune: fine-tuned on dataset" in export(store, ids["grandstudent"], "model-card")


def test_base_model_card_has_no_base(family):
    store, ids = family
    meta = model_card.parse_front_matter(export(store, ids["base"], "model-card"))
    assert "base_model" not in meta and meta["tags"][0] == "heredity"


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx", "model-card"])
def test_any_kind_exports_and_cli_writes_the_file(family, tmp_path, capsys, fmt):
    store, ids = family
    out = tmp_path / f"export.{fmt}"
    for key in ("scores", "rollouts", "student"):  # not only models: a generic fallback
        assert main(["--store", str(store.root), "export", ids[key], "--format", fmt, "-o", str(out)]) == 0
        text = out.read_text()
        if fmt == "cyclonedx":
            assert cyclonedx_errors(text) is None
        elif fmt == "spdx":
            load_spdx(text)
        else:
            assert isinstance(yaml.safe_load(text.split("---\n")[1]), dict)
    assert main(["--store", str(store.root), "export", ids["student"], "--format", fmt]) == 0
    assert capsys.readouterr().out.strip()
