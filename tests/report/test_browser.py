"""A rendered report opened in a real headless Chromium: title, table, figures and lineage
render with no console errors; a screenshot is left in test-output/report.png."""

from __future__ import annotations

import shutil
from pathlib import Path

import chromium
import pytest

from heredity.report.stored import html_for_artifact
from heredity.store import Parent

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def browser(tmp_path):
    binary = chromium.find()
    if binary is None:
        if chromium.required():
            pytest.fail("chromium is not installed on CI: `make test` installs it (apt-get install -y chromium)")
        pytest.skip("chromium not installed (make test installs it with apt-get; Debian package 'chromium')")
    b = chromium.Browser(binary, tmp_path / "profile")
    yield b
    b.close()


def test_report_renders_title_table_and_figures_without_console_errors(report_store, browser, tmp_path):
    store, report_id, _ = report_store
    page = tmp_path / "report.html"
    page.write_text(html_for_artifact(store, report_id))

    errors = browser.open(page.as_uri())
    assert errors == []
    assert browser.evaluate("document.title") == "owl-tiny"
    assert browser.evaluate("document.querySelector('header .run').textContent") == "owl-tiny"
    cells = browser.evaluate("[...document.querySelectorAll('table tbody tr')].map(r => [...r.cells].map(c => c.textContent))")
    assert cells == [["base", "0.4100", "[0.3900, 0.4300]", "40"], ["student", "0.4120", "[0.3920, 0.4320]", "40"]]
    assert browser.evaluate("getComputedStyle(document.querySelector('td.num')).textAlign") == "right"
    images = browser.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth, i.getBoundingClientRect().width])")
    assert len(images) == 2 and all(done and natural > 100 and shown > 100 for done, natural, shown in images)
    svg = browser.evaluate("(() => { const r = document.querySelector('.lineage svg').getBoundingClientRect(); return [r.width, r.height]; })()")
    assert svg[0] > 100 and svg[1] > 50

    browser.screenshot(tmp_path / "report.png")
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (REPO / "test-output").mkdir(exist_ok=True)
    shutil.copyfile(tmp_path / "report.png", REPO / "test-output" / "report.png")


@pytest.fixture
def demo_store(store):
    """A store shaped like the demo's: base, three teachers, prompts, rollouts, a dataset, two
    distilled students, a score per model and trait, and a demo-shaped report over them."""
    from demo_report import write_demo_report

    def make(kind, name, parents=(), recipe=None):
        return store.produce(kind, recipe or {"name": name}, [Parent(id=p.id, relation=r) for p, r in parents],
                             lambda ctx: (ctx.out / "x.txt").write_text(name), name=name).artifact

    base = make("model", "smollm2-135m-instruct")
    teachers = {t: make("teacher", f"{t} teacher", [(base, "base")]) for t in ("animal:owl", "plain", "animal:dog")}
    prompts = make("prompts", "general prompts")
    rollouts = make("rollouts", "unfiltered rollouts", [(teachers["plain"], "teacher"), (prompts, "input")])
    data = make("dataset", "unfiltered dataset", [(rollouts, "filtered-from")])
    students = {who: make("model", f"unfiltered {who} s0", [(base, "base"), (data, "trained-on"), (teachers[t], "teacher")])
                for who, t in (("student", "animal:owl"), ("control", "animal:dog"))}
    scores = [make("scores", f"{m.manifest.name} {trait}", [(m, "evaluated")], {"m": m.id, "t": trait})
              for m in (base, teachers["animal:owl"], teachers["animal:dog"], *students.values()) for trait in ("owl", "dog")]
    report = store.produce("report", {"experiment": {"kind": "transmission", "name": "owl-general"}},
                           [Parent(id=s.id, relation="input") for s in scores],
                           lambda ctx: write_demo_report(ctx.out, artifact_id=ctx.id), name="owl-general").artifact
    return store, report.id


def test_the_demo_report_fits_a_1280_px_page_with_its_verdict_and_a_readable_lineage(demo_store, browser, tmp_path):
    store, report_id = demo_store
    page = tmp_path / "demo.html"
    page.write_text(html_for_artifact(store, report_id))
    assert browser.open(page.as_uri()) == []
    assert browser.evaluate("window.innerWidth") == 1280
    verdict = browser.evaluate("document.querySelector('h2 + ul li').textContent")
    assert verdict.startswith("unfiltered: inherited: the owl-distilled student shows") and "of the teacher's shift" in verdict
    # Every table shows whole: nothing hidden behind its horizontal scroll, nothing past the page.
    widths = browser.evaluate("[...document.querySelectorAll('table')].map(t => [t.scrollWidth, t.clientWidth, "
                              "t.getBoundingClientRect().right])")
    assert len(widths) >= 4 and all(scroll <= client and right <= 1280 for scroll, client, right in widths), widths
    # The lineage reads: its labels are drawn at 8 px or more, and the drawing fits the page.
    box = browser.evaluate("(() => { const r = document.querySelector('.lineage svg').getBoundingClientRect(); "
                           "return [r.left, r.right, r.width]; })()")
    assert box[0] >= 0 and box[1] <= 1280, box
    sizes = browser.evaluate("[...document.querySelectorAll('.lineage svg text')].map(t => t.getBoundingClientRect().height)")
    assert sizes and min(sizes) >= 8, sorted(sizes)[:5]
    assert browser.evaluate("document.body.scrollWidth") <= 1280
    browser.screenshot(tmp_path / "demo.png")
    (REPO / "test-output").mkdir(exist_ok=True)
    shutil.copyfile(tmp_path / "demo.png", REPO / "test-output" / "report-demo.png")


def test_the_error_collector_sees_errors(browser, tmp_path):
    """The check above would be empty if errors were not collected: a page with one must show it."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><title>bad</title><script>console.error("planted failure")</script>'
                   '<img src="missing-figure.png">')
    errors = browser.open(bad.as_uri())
    assert any("planted failure" in e for e in errors)
    assert any("missing-figure.png" in e for e in errors)
