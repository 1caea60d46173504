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
    before = {kind: set(store.ids(kind)) for kind in ("scores", "first-token")}
    artifact = audit(store, ids["teacher"], ids["control"], base=ids["base"], n_trait_probes=10, recipe=SMALL)
    owl = AuditResults.model_validate_json(artifact.file("results.json").read_text()).finding("animal:owl")
    assert not owl.verdict.startswith("inherited"), owl.verdict
    # teacher, base and the dog model were all read by the owl audit: nothing was measured again
    assert {kind: set(store.ids(kind)) for kind in before} == before


def test_each_model_is_read_once_into_artifacts_the_audit_reuses(owl_audit):
    from heredity.steps.scores import read_score

    store, ids, _, results = owl_audit
    owl = results.finding("animal:owl")
    discovery = next(f.details["probes"] for f in results.findings if f.kind == "quirk")
    for role, model in ids.items():
        read = {kind: [store.open(a) for a in store.ids(kind) if store.manifest(a).parents[0].id == model] for kind in ("scores", "first-token")}
        animal = [read_score(a) for a in read["scores"] if a.manifest.recipe["trait"] == owl_trait(10)]
        assert len(animal) == 1 and animal[0].p == pytest.approx(owl.levels[role], abs=1e-12), role  # the audit's number
        assert any(len(a.manifest.recipe["probes"]) == discovery for a in read["first-token"]), role


def owl_trait(n_probes):
    from heredity.audit.probes import trait_configs

    return trait_configs(["animal:owl"], n_probes)[0].model_dump(mode="json")


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
