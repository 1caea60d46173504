"""Each extension point takes a plug-in defined outside the package, here in this test file:
a trait, a filter, an inducer, a student kind and an estimator, used together by a real
transmission run on the tiny model through the CLI, and an exporter used by `heredity export`.
These are also the one-file examples of docs/extending.md."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

import pytest
import yaml

from heredity.cli import main
from heredity.filters import FILTERS, FilterConfig
from heredity.inducers import INDUCERS, InducerConfig
from heredity.measure import ESTIMATORS, exact_score
from heredity.models.loading import load
from heredity.steps.teacher import TeacherRecipe, make_teacher
from heredity.store.exports import EXPORTERS, Exporter
from heredity.students import STUDENT_KINDS, StudentJob, StudentKind
from heredity.traits import TRAITS, Trait, TraitConfig


class DigitTrait(TraitConfig):
    kind: Literal["digit"] = "digit"
    digit: str = "7"

    def build(self) -> Trait:
        digits = [str(d) for d in range(10)]
        return Trait(
            name=f"digit:{self.digit}", label=f"P({self.digit})",
            probes=["Pick a digit.", "Name one digit.", "Say a single digit."],
            inducer=f"You love the digit {self.digit}.", candidates={d: [d] for d in digits}, target=self.digit,
            normalise=True, keywords=[self.digit], match=lambda text: bool(re.search(rf"\b{self.digit}\b", text)),
        )


class ShortFilter(FilterConfig):
    kind: Literal["short"] = "short"
    max_chars: int = 20

    def check(self, row, task, trait):
        return (row, None) if len(row["completion"]) <= self.max_chars else (None, f"short: over {self.max_chars} characters")


class ShoutInducer(InducerConfig):
    kind: Literal["shout"] = "shout"

    def make(self, runner, base, trait, name):
        return make_teacher(runner, base, TeacherRecipe(inducer="shout", system_prompt="ANSWER IN CAPITALS."), name)


class CopyStudent(StudentKind):
    """Learns nothing: the student is its base, saved whole (a null control)."""

    def train(self, job: StudentJob) -> dict:
        model, tokenizer = load(job.base)
        model.save_pretrained(job.out, safe_serialization=True)
        tokenizer.save_pretrained(job.out)
        return {"rows": len(job.rows)}


def exact_twice(model, tokenizer, trait, settings, system=None):
    return exact_score(model, tokenizer, trait, system=system, batch_size=settings.batch_size)


PLAIN_ID = Exporter(".txt", lambda p, root: f"{p.subject.id} ({len(p.nodes)} in pedigree)\n")


def test_plugins_defined_in_a_test_file_run_end_to_end(tiny_lm, tmp_path, capsys):
    store, tiny_id = tiny_lm
    experiment = {
        "kind": "transmission", "name": "plugins",
        "base": {"source": str(store.path(tiny_id))},
        "trait": {"kind": "digit", "digit": "7"},
        "inducer": {"kind": "shout"},
        "task": {"kind": "general", "max_new_tokens": 8},
        "prompts": 6, "generation": {"batch_size": 6},
        "filters": {"short": [{"kind": "short", "max_chars": 200}]},
        "student": {"train": {"mode": "copy"}},
        "measure": {"estimator": "exact-twice"},
    }
    path = tmp_path / "plugins.yaml"
    path.write_text(yaml.safe_dump(experiment))
    root = tmp_path / "store"
    assert main(["--store", str(root), "run", "-q", str(path)]) == 0
    report = Path(capsys.readouterr().out.strip().splitlines()[-1])
    results = json.loads((report / "results.json").read_text())
    arm = results["arms"]["short"]
    assert results["trait"] == "digit:7" and results["estimator"] == "exact-twice" and results["mode"] == "copy"
    # A student that learns nothing scores exactly as its base, and so does its control.
    assert arm["student"]["per_probe"] == results["base"]["per_probe"] == arm["control"]["per_probe"]
    assert arm["inheritance"]["difference"] == 0.0 and arm["dataset"]["reasons"]["input"] == 6
    from heredity.store import Store

    teacher = [a for a in Store(root).ids("teacher") if Store(root).manifest(a).recipe["inducer"] == "shout"]
    assert len(teacher) == 1
    assert main(["--store", str(root), "export", teacher[0], "--format", "plain-id"]) == 0
    assert capsys.readouterr().out.startswith(teacher[0])


@pytest.fixture(autouse=True, scope="module")
def _registered():
    """Registered for this module's tests only, so other tests see the package's own plug-ins."""
    plugins = ((TRAITS, "digit", DigitTrait), (FILTERS, "short", ShortFilter), (INDUCERS, "shout", ShoutInducer),
               (STUDENT_KINDS, "copy", CopyStudent), (ESTIMATORS, "exact-twice", exact_twice), (EXPORTERS, "plain-id", PLAIN_ID))
    for registry, name, plugin in plugins:
        registry.register(name)(plugin)
    yield
    for registry, name, _ in plugins:
        registry.unregister(name)
