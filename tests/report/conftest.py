"""A small real report: report.md with a table and a matplotlib PNG, as a folder and as a
report artifact in a store whose lineage has a base model, a dataset and a student."""

from __future__ import annotations

import pytest

from heredity.report.bars import bar_chart
from heredity.store import Parent

REPORT_MD = """# owl-tiny

Trait **animal:owl**, exact estimator. Intervals are 95%; n is the number of probe questions.

![scores](scores.png)

| model | score | 95% CI | n |
| --- | --- | --- | --- |
| base | 0.4100 | [0.3900, 0.4300] | 40 |
| student | 0.4120 | [0.3920, 0.4320] | 40 |

## Inheritance (student − control, paired by probe)

![paired differences](figures/paired.png)
"""


def write_report(folder):
    """Fill ``folder`` with report.md, scores.png and figures/paired.png (real matplotlib PNGs)."""
    from heredity.report.paired import paired_figure

    (folder / "figures").mkdir(parents=True, exist_ok=True)
    bar_chart(["base", "student"], [0.41, 0.412], [(0.39, 0.43), (0.392, 0.432)], folder / "scores.png",
              title="scores", ylabel="P(owl)")
    paired_figure([0.412, 0.402, 0.433], [0.41, 0.40, 0.43], folder / "figures" / "paired.png")
    (folder / "report.md").write_text(REPORT_MD)
    return folder


@pytest.fixture
def report_dir(tmp_path):
    return write_report(tmp_path / "report")


@pytest.fixture
def report_store(store):
    """(store, report id, [older report id]) with a lineage of model -> dataset -> report."""
    base = store.produce("model", {"source": "toy"}, [], lambda ctx: (ctx.out / "w.txt").write_text("w"), name="toy-base").artifact
    data = store.produce("dataset", {"n": 1}, [Parent(id=base.id, relation="generated-from")],
                         lambda ctx: (ctx.out / "rows.jsonl").write_text("{}\n"), name="toy-data").artifact
    older = store.produce("report", {"experiment": {"kind": "transmission", "name": "older"}}, [Parent(id=base.id, relation="evaluated")],
                          lambda ctx: write_report(ctx.out), name="older-run").artifact
    report = store.produce("report", {"experiment": {"kind": "transmission", "name": "owl-tiny"}},
                           [Parent(id=base.id, relation="evaluated"), Parent(id=data.id, relation="data")],
                           lambda ctx: write_report(ctx.out), name="owl-tiny").artifact
    return store, report.id, older.id
