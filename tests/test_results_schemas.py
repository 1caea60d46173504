"""Typed results: the checked-in JSON Schemas are the ones the models generate, and a results
file round-trips through its model."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from heredity.experiments.schemas import load_results, schemas
from heredity.results import RESULTS

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"


def test_checked_in_schemas_match_the_models():
    generated = schemas()
    assert {"transmission", "mlp"} <= set(generated)
    for name, schema in generated.items():
        path = SCHEMAS / f"{name}.json"
        assert path.is_file(), f"{path} missing: run python -m heredity.experiments.schemas docs/schemas"
        assert json.loads(path.read_text()) == schema, f"{path} is stale: run python -m heredity.experiments.schemas docs/schemas"


def test_results_round_trip_and_refuse_unknown_keys(tmp_path):
    from heredity.experiments.mlp.results import results

    res = results({"teacher": [0.9, 0.92], "init": [0.1, 0.11]}, {"same_init": [0.01, 0.02], "different_init": [0.0, -0.01]},
                  {"same_init": [0.05, 0.06], "different_init": [0.0, 0.01]}, 3, {"name": "x"}, [1, 0])
    res.write(tmp_path)
    back = load_results(tmp_path / "results.json")
    assert back == res and back.arms["teacher"].accuracy.per_seed == [0.9, 0.92]
    assert back.arms["teacher"].accuracy.ci[0] < 0.91 < back.arms["teacher"].accuracy.ci[1]
    data = json.loads((tmp_path / "results.json").read_text())
    data["surprise"] = 1
    with pytest.raises(ValidationError, match="surprise"):
        RESULTS.get("mlp").model_validate(data)


def test_every_kind_is_a_registered_results_with_a_literal_schema_version():
    # One reader for every results file a command writes: experiments, the audit and the screen.
    schemas()  # registers every kind
    assert {"transmission", "mlp", "diffing", "audit", "screen"} <= set(RESULTS.names())
    for name in RESULTS.names():
        field = RESULTS.get(name).model_fields["schema_version"]
        assert getattr(field.annotation, "__origin__", None) is not None and "Literal" in str(field.annotation), name
        assert RESULTS.get(name).model_fields["kind"].default == name


def test_load_results_reads_an_audit_and_names_a_file_that_is_not_results(tmp_path):
    from heredity.audit.results import AuditResults, ModelRead

    audit = AuditResults(models=[ModelRead(role="student", id="model-1", model_id="m", system_prompt=None)],
                         correction="holm", alpha=0.05, estimator="exact", findings=[])
    audit.write(tmp_path)
    assert load_results(tmp_path / "results.json") == audit
    (tmp_path / "other.json").write_text('{"rows": 3}')
    with pytest.raises(ValueError, match="other.json: not a results file"):
        load_results(tmp_path / "other.json")
