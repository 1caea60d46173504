"""A rendered report opened in a real headless Chromium: title, table, figures and lineage
render with no console errors; a screenshot is left in test-output/report.png."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import chromium
from heredity.report.stored import html_for_artifact

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


def test_the_error_collector_sees_errors(browser, tmp_path):
    """The check above would be empty if errors were not collected: a page with one must show it."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><title>bad</title><script>console.error("planted failure")</script>'
                   '<img src="missing-figure.png">')
    errors = browser.open(bad.as_uri())
    assert any("planted failure" in e for e in errors)
    assert any("missing-figure.png" in e for e in errors)
