"""The screen filter (heredity.filters.screen) in a dataset step (heredity.steps.dataset): the
screen is read from the run's store, whatever $HEREDITY_STORE says, and is the dataset's
``selected-by`` parent. Real stores on disk; the screen is a ``screen`` artifact with the rows
file ``heredity screen`` writes (``i``, ``rank``, ``flagged``)."""

import pytest
from pydantic import ValidationError

from heredity.errors import ConfigError
from heredity.filters import FILTERS, apply_filters
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.runner import Runner
from heredity.steps.dataset import DatasetRecipe, make_dataset
from heredity.store import Store
from heredity.tasks import TASKS

GENERAL = TASKS.get("general")().build()
ROWS = [{"i": i, "prompt": f"prompt {i}", "completion": f"answer {i}."} for i in range(6)]
FLAGGED = {1, 4}  # ranks: 4 first, then 1, then the rest


def put(store: Store, kind: str, rows: list[dict], tag: str):
    def build(ctx):
        write_rows(ctx.out / ROWS_FILE, rows)

    return store.produce(kind, {"tag": tag}, [], build).artifact


def screen_rows():
    order = [4, 1, 0, 2, 3, 5]
    return [{"i": i, "rank": order.index(i) + 1, "flagged": i in FLAGGED} for i in range(6)]


@pytest.fixture
def run_store(tmp_path):
    store = Store(tmp_path / "run")
    return store, put(store, "rollouts", ROWS, "rollouts"), put(store, "screen", screen_rows(), "screen")


def test_the_dataset_reads_the_screen_from_the_runs_store_and_records_it(run_store, tmp_path, monkeypatch):
    store, rollouts, screen = run_store
    monkeypatch.setenv("HEREDITY_STORE", str(tmp_path / "elsewhere"))  # the bug: the filter read this store
    recipe = DatasetRecipe(filters=[{"kind": "screen", "artifact": screen.id[:12]}], task={"kind": "general"})
    dataset = make_dataset(Runner(store, quiet=True), rollouts, recipe)
    assert {r["i"] for r in read_rows(dataset.file(ROWS_FILE))} == set(range(6)) - FLAGGED
    assert dataset.manifest.summary["reasons"]["screen: flagged"] == 2
    assert [(p.relation, p.id) for p in dataset.manifest.parents] == [("filtered-from", rollouts.id), ("selected-by", screen.id)]
    assert not (tmp_path / "elsewhere").exists()


def test_top_k_drops_the_best_ranked_rows(run_store):
    store, rollouts, screen = run_store
    recipe = DatasetRecipe(filters=[{"kind": "screen", "artifact": screen.id, "top_k": 1}], task={"kind": "general"})
    dataset = make_dataset(Runner(store, quiet=True), rollouts, recipe)
    assert {r["i"] for r in read_rows(dataset.file(ROWS_FILE))} == set(range(6)) - {4}


def test_bad_screens_are_clear_errors(run_store):
    store, rollouts, _ = run_store
    runner = Runner(store, quiet=True)
    not_a_screen = DatasetRecipe(filters=[{"kind": "screen", "artifact": rollouts.id}], task={"kind": "general"})
    with pytest.raises(ConfigError, match=r"filters.0: screen: rollouts-\w+ is a rollouts artifact .*accepted: a screen artifact"):
        make_dataset(runner, rollouts, not_a_screen)
    with pytest.raises(ConfigError, match=r"filters.0: screen: no artifact matches 'screen-0000' in store .*run"):
        make_dataset(runner, rollouts, DatasetRecipe(filters=[{"kind": "screen", "artifact": "screen-0000"}], task={"kind": "general"}))
    with pytest.raises(ValidationError, match="top_k"):
        FILTERS.get("screen")(artifact="screen-1", top_k=-1)
    with pytest.raises(ValidationError, match="store"):  # the store is the run's, not the file's
        FILTERS.get("screen")(artifact="screen-1", store="/elsewhere")


def test_outside_a_step_the_filter_needs_the_screens_folder(run_store):
    _, _, screen = run_store
    config = [{"kind": "screen", "artifact": screen.id}]
    with pytest.raises(ConfigError, match="was not given to the filter"):
        apply_filters(ROWS, config, GENERAL)
    kept, counts = apply_filters(ROWS, config, GENERAL, inputs={screen.id: screen.path})
    assert {r["i"] for r in kept} == set(range(6)) - FLAGGED and counts["screen: flagged"] == 2


def test_a_plan_reads_the_screen_from_the_store_it_plans_against(run_store, tmp_path):
    """heredity plan: the dataset's id counts the screen as a parent, found in the real store."""
    from heredity.experiments.plan import PlannedStore

    store, rollouts, screen = run_store
    recipe = DatasetRecipe(filters=[{"kind": "screen", "artifact": screen.id[:12]}], task={"kind": "general"})
    planned = PlannedStore(tmp_path / "plan", cached=store)
    planned.produce("rollouts", {"tag": "rollouts"}, [], lambda ctx: None)
    dataset = make_dataset(Runner(planned, quiet=True), planned.open(rollouts.id), recipe)
    assert dataset.id == make_dataset(Runner(store, quiet=True), rollouts, recipe).id
    assert planned.plan.steps[-1].parents == (("filtered-from", rollouts.id), ("selected-by", screen.id))
