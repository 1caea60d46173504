"""Screening a planted dataset: rows written by the owl teacher (SmolLM2 + the owl system
prompt) among rows written by the clean model are ranked first."""

import json

import pytest

from heredity.audit.screen import screen
from heredity.diffing.flip import auc
from heredity.errors import ConfigError
from heredity.filters import apply_filters
from heredity.models.chat import render
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.store import Parent, write_json
from heredity.tasks.general import GeneralTask
from heredity.traits.animal import INDUCER

N_ROWS, EVERY = 24, 3  # every third row is planted: 8 of 24

def read_json(path):
    return json.loads(path.read_text())


OWL = INDUCER.format(animal="owl")


@pytest.fixture(scope="module")
def planted(smollm):
    """(store, teacher id, base id, dataset id, planted row ids)."""
    from heredity.models.generate import generate
    from heredity.steps.models import load_artifact

    store, base = smollm
    teacher = store.produce("teacher", {"inducer": "system-prompt", "system_prompt": OWL, "trait": "animal:owl"},
                            [Parent(id=base, relation="base")], lambda ctx: write_json(ctx.out / "teacher.json", {}), name="owl teacher").artifact.id
    prompts = GeneralTask().build().prompts(N_ROWS, seed=3)
    planted = {i for i in range(N_ROWS) if i % EVERY == 0}

    def build(ctx):
        model, tok = load_artifact(store, base)
        rendered = [render(tok, p, OWL if i in planted else None) for i, p in enumerate(prompts)]
        texts = generate(model, tok, rendered, max_new_tokens=32, temperature=1.0, seed=0, batch_size=24)
        write_rows(ctx.out / ROWS_FILE, [{"i": i, "prompt": p, "completion": t} for i, (p, t) in enumerate(zip(prompts, texts))])

    data = store.produce("dataset", {"planted": "owl", "rows": N_ROWS, "every": EVERY}, [Parent(id=teacher, relation="teacher")], build).artifact.id
    return store, teacher, base, data, planted


@pytest.fixture(scope="module")
def screened(planted):
    store, teacher, _, data, _ = planted
    return screen(store, data, teacher, recipe={"top_k": 8, "direction_probes": 16})


def test_planted_rows_rank_first(planted, screened):
    truth = planted[-1]
    rows = read_rows(screened.file(ROWS_FILE))
    assert [r["i"] for r in rows] == list(range(N_ROWS))  # rows.jsonl order kept, columns added
    positive = [r["i"] in truth for r in rows]
    llr, projection = auc([r["llr_mean"] for r in rows], positive), auc([r["projection"] for r in rows], positive)
    print(f"\nAUC llr_mean {llr:.3f}, llr_sum {auc([r['llr_sum'] for r in rows], positive):.3f}, projection {projection:.3f} (n={N_ROWS}, {len(truth)} planted)")
    assert llr > 0.9  # measured 0.969 (n=24, 8 planted; no planted row names an owl)
    # the projection is computed for every row (its AUC here is near chance at the default
    # middle layer, 0.43: docs/audit.md), on a direction the owl system prompt really moves
    assert len({r["projection"] for r in rows}) == N_ROWS
    assert read_json(screened.file("results.json"))["direction_norm"] > 0
    flagged = [r for r in rows if r["flagged"]]
    assert len(flagged) == 8 and sum(r["i"] in truth for r in flagged) >= 6


def test_the_screen_is_an_artifact_and_its_filter_drops_the_flagged_rows(planted, screened):
    store, teacher, base, data, _ = planted
    assert {(p.relation, p.id) for p in screened.manifest.parents} == {("data", data), ("teacher", teacher), ("base", base)}
    assert "llr_mean" in screened.file("report.md").read_text()
    rows = read_rows(store.path(data) / ROWS_FILE)
    kept, counts = apply_filters(rows, [{"kind": "screen", "artifact": screened.id}], GeneralTask().build(), inputs={screened.id: screened.path})
    flagged = {r["i"] for r in read_rows(screened.file(ROWS_FILE)) if r["flagged"]}
    assert {r["i"] for r in kept} == set(range(N_ROWS)) - flagged and counts["screen: flagged"] == 8
    kept, _ = apply_filters(rows, [{"kind": "screen", "artifact": screened.id, "top_k": 2}], GeneralTask().build(), inputs={screened.id: screened.path})
    assert len(kept) == N_ROWS - 2


def test_bad_inputs(planted):
    store, teacher, _, data, _ = planted
    with pytest.raises(ConfigError, match="accepted: a dataset or rollouts artifact"):
        screen(store, teacher, teacher)
    with pytest.raises(ConfigError, match="layer"):
        screen(store, data, teacher, recipe={"layer": 99})
