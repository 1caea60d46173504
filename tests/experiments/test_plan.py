"""Golden ids: the steps every example plans, pinned. Ids are the cache contract (a changed id is a
changed recipe, and every cached result below it is built again), so a change must be deliberate:
regenerate with ``HEREDITY_UPDATE_GOLDEN=1 pytest tests/experiments/test_plan.py`` and say in the
commit which recipes changed and why."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from heredity.experiments import load_experiment
from heredity.experiments.plan import plan

EXAMPLES = Path(__file__).parents[2] / "examples"
GOLDEN = Path(__file__).parent / "golden"
FILES = sorted(EXAMPLES.glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_example_plans_the_pinned_steps(path, tmp_path):
    planned = plan(load_experiment(path), tmp_path / "store").as_json()
    golden = GOLDEN / f"{path.stem}.json"
    if os.environ.get("HEREDITY_UPDATE_GOLDEN") == "1":
        golden.write_text(json.dumps(planned, indent=1, sort_keys=True) + "\n")
    assert golden.is_file(), f"no golden plan for {path.name}: run with HEREDITY_UPDATE_GOLDEN=1"
    pinned = json.loads(golden.read_text())
    changed = [f"{old['kind']} {old['name']!r}: {old['id']} -> {new['id']}"
               for old, new in zip(pinned["steps"], planned["steps"]) if old["id"] != new["id"]]
    assert planned == pinned, f"{path.name}: planned steps differ from {golden.name}; ids changed: {changed or 'none'}" \
                              f" ({len(pinned['steps'])} pinned, {len(planned['steps'])} planned)"


def test_a_plan_builds_nothing_and_stops_where_content_is_needed(tmp_path):
    planned = plan(load_experiment(EXAMPLES / "owl-general.yaml"), tmp_path / "store")
    ids = [s.id for s in planned.steps]
    assert len(ids) == len(set(ids)), "a step shared by two cells is planned once"
    # The demo's ids as the README prints them: the plan computes what the store would.
    assert {"model-fcfe1b125b1fe006", "teacher-ca9d68d86823635f", "model-cfda4e0b3954de8f"} <= set(ids)
    assert planned.stopped_at is not None and planned.stopped_at.endswith("scores.json")
    assert not (tmp_path / "store").exists()


def test_every_example_has_a_golden_plan_and_no_golden_is_orphaned():
    assert {p.stem for p in FILES} == {p.stem for p in GOLDEN.glob("*.json")}
