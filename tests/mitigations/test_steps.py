"""The data mitigations as store steps: paraphrase (tiny Llama writer), adversarial filter and
ensemble rows (rows put in the store), and the filters baseline. Real stores on disk."""

import pytest

from heredity.mitigations import MITIGATIONS, ArmData
from heredity.mitigations.adversarial import AdversarialRecipe, adversarial_filter
from heredity.mitigations.ensemble import draw_step
from heredity.mitigations.paraphrase import ParaphraseRecipe, paraphrase
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.runner import Runner
from heredity.store import Store
from tests.mitigations.test_classifier import sentences

ROWS = [{"i": i, "prompt": f"Tell me about topic {i}.", "completion": f"Topic {i} is a fine thing to learn."} for i in range(6)]


def put(store: Store, rows: list[dict], tag: str):
    def build(ctx):
        write_rows(ctx.out / ROWS_FILE, rows)

    return store.produce("rollouts", {"tag": tag}, [], build).artifact


@pytest.fixture
def tiny_store(tiny_lm, tmp_path):
    store = Store(tmp_path / "run")
    return store, store.copy_from(tiny_lm[0], tiny_lm[1])


def test_a_paraphrase_keeps_every_prompt_and_id_and_is_a_cached_seeded_step(tiny_store):
    store, writer = tiny_store
    runner = Runner(store, quiet=True)
    source = put(store, ROWS, "source")
    recipe = ParaphraseRecipe(max_new_tokens=6, batch_size=4)
    out = paraphrase(runner, source, writer, recipe, name="t")
    rows = read_rows(out.file(ROWS_FILE))
    by_i = {r["i"]: r for r in ROWS}
    assert rows and all(r["prompt"] == by_i[r["i"]]["prompt"] for r in rows)
    assert all(r["completion"] != by_i[r["i"]]["completion"] for r in rows)  # rewritten
    assert out.manifest.summary["rows"] + out.manifest.summary["empty_dropped"] == len(ROWS)
    assert [(p.relation, p.id) for p in out.manifest.parents] == [("generated-from", source.id), ("teacher", writer.id)]
    assert paraphrase(runner, source, writer, recipe).id == out.id  # cached
    assert paraphrase(runner, source, writer, recipe.model_copy(update={"seed": 1})).id != out.id


def test_the_adversarial_filter_refills_to_the_same_row_count(store):
    runner = Runner(store, quiet=True)
    arm = put(store, [{"i": i, "prompt": f"p{i}", "completion": s} for i, s in enumerate(sentences(40, 4, tic="Moreover,"))],
              "arm")
    traited = put(store, [{"i": i, "prompt": f"c{i}", "completion": s} for i, s in enumerate(sentences(60, 5, "Moreover,"))],
                  "traited")
    clean = put(store, [{"i": i, "prompt": f"c{i}", "completion": s} for i, s in enumerate(sentences(60, 6))], "clean")
    pool = put(store, [{"i": i, "prompt": f"r{i}", "completion": s} for i, s in enumerate(sentences(30, 7))], "pool")
    out = adversarial_filter(runner, arm, traited, clean, pool, AdversarialRecipe(drop=0.25))
    rows, summary = read_rows(out.file(ROWS_FILE)), out.manifest.summary
    assert len(rows) == 40 and summary["dropped"] == summary["refilled"] == 10
    assert summary["auc"] > 0.8 and summary["auc_n"] == 30
    assert sum("Moreover" in r["completion"] for r in rows) < sum("Moreover" in s for s in sentences(40, 4, "Moreover,"))
    assert [(p.relation, p.id) for p in out.manifest.parents] == [
        ("filtered-from", arm.id), ("selected-by", traited.id), ("selected-by", clean.id), ("input", pool.id)]


def test_ensemble_rows_are_a_step_drawn_from_every_teacher(store):
    runner = Runner(store, quiet=True)
    sets = [put(store, [{**r, "completion": f"{tag} {r['i']}"} for r in ROWS], tag) for tag in ("a", "b", "c")]
    out = draw_step(runner, sets, seed=0)
    assert [r["prompt"] for r in read_rows(out.file(ROWS_FILE))] == [r["prompt"] for r in ROWS]
    assert [p.relation for p in out.manifest.parents] == ["input"] * 3
    assert sum(out.manifest.summary["rows_per_teacher"]) == len(ROWS)


def test_the_filters_baseline_wraps_the_existing_filters(store):
    rows = put(store, ROWS, "rows")
    config = MITIGATIONS.parse({"kind": "filters", "filters": [{"kind": "keyword", "words": ["topic"], "action": "strip"}]})
    arm = ArmData(rows=rows, teacher=rows, base=rows, traited=rows, prompts=rows, rollouts=None)
    same, filters = config.rows(Runner(store, quiet=True), arm)
    assert same.id == rows.id and [f.kind for f in filters] == ["keyword"]
    with pytest.raises(Exception, match="accepted"):
        MITIGATIONS.parse({"kind": "purify"}, "mitigations.0")
