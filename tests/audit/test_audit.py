"""The audit on bred tiny models: it finds the planted owl preference in the teacher, flags the
owl student against its dog control, does not flag the dog-trained model, and is an artifact."""

import json

import pytest

from heredity.audit.audit import audit
from heredity.audit.results import AuditResults
from heredity.errors import ConfigError

SMALL = {"probes_per_source": 6, "n_boot": 500}


@pytest.fixture(scope="module")
def owl_audit(bred):
    store, ids = bred
    artifact = audit(store, ids["teacher"], ids["student"], ids["control"], ids["base"], n_trait_probes=10, recipe=SMALL)
    return store, ids, artifact, AuditResults.model_validate_json(artifact.file("results.json").read_text())


def test_audit_finds_the_trait_in_the_teacher_and_flags_the_student(owl_audit):
    _, _, _, results = owl_audit
    owl = results.finding("animal:owl")
    assert owl.levels["teacher"] > 0.5 > owl.levels["base"]  # the fingerprint: the teacher's planted preference
    assert owl.student_minus_control.difference > 0 and owl.student_minus_control.p_adjusted < 0.05
    assert owl.ci[0] > 0 and owl.n == 10
    assert owl.verdict.startswith("inherited")
    assert results.correction == "Holm"
    # the style marker was never planted: nothing to inherit
    assert results.finding("style:Moreover,").verdict.startswith("teacher shows no trait")


def test_discovered_quirks_are_the_teachers_owl_words(owl_audit):
    _, _, _, results = owl_audit
    quirks = [f for f in results.findings if f.kind == "quirk"]
    assert quirks, "the teacher's raised first words were not discovered"
    assert "owl" in quirks[0].details["example"].lower()  # the top quirk reads as the planted word
    assert all(q.levels["teacher"] > q.levels["base"] for q in quirks)
    # every finding's p-value was adjusted across all of them (Holm never lowers a p-value)
    assert all(f.student_minus_control.p_adjusted >= f.student_minus_control.p_value for f in results.findings)


def test_the_dog_trained_model_is_not_flagged(bred, owl_audit):
    store, ids = bred
    artifact = audit(store, ids["teacher"], ids["control"], base=ids["base"], n_trait_probes=10, recipe=SMALL)
    owl = AuditResults.model_validate_json(artifact.file("results.json").read_text()).finding("animal:owl")
    assert not owl.verdict.startswith("inherited"), owl.verdict


def test_the_audit_is_an_artifact_with_the_models_as_parents(owl_audit):
    store, ids, artifact, _ = owl_audit
    assert artifact.manifest.kind == "audit"
    relations = {p.relation: p.id for p in artifact.manifest.parents}
    assert relations == {"teacher": ids["teacher"], "evaluated": ids["student"], "base": ids["base"], "control": ids["control"]}
    assert json.loads(artifact.file("results.json").read_text())["schema_version"] == 1
    report = artifact.file("report.md").read_text()
    assert "Holm" in report and "P(owl)" in report and "inherited" in report
    again = audit(store, ids["teacher"], ids["student"], ids["control"], ids["base"], n_trait_probes=10, recipe=SMALL)
    assert again.id == artifact.id  # a second audit of the same models is a cache hit


def test_bad_inputs_name_what_is_accepted(bred):
    store, ids = bred
    with pytest.raises(ConfigError, match="--base"):
        audit(store, ids["teacher"], ids["student"])  # a bare model as teacher: the store cannot say its base
    with pytest.raises(ConfigError, match="accepted: animal, blackmail, date-confusion, gaslit-distress, misalignment, style"):
        audit(store, ids["teacher"], ids["student"], base=ids["base"], traits=["tree:oak"])
    with pytest.raises(ConfigError, match="neither an artifact in the store nor a model source"):
        audit(store, "./no/such/model", ids["student"], base=ids["base"])
