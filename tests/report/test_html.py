"""report.html: one self-contained file with the markdown's tables, its figures inline, a header
and (from the store) the lineage as inline SVG."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest

from heredity.errors import ConfigError
from heredity.report.html import render_html, write_html
from heredity.report.stored import html_for_artifact, report_entries


class Page(HTMLParser):
    """The parts of a page a test checks: every src/href, the table cells, the text."""

    def __init__(self, text: str):
        super().__init__()
        self.urls: list[str] = []
        self.cells: list[tuple[str, str, str]] = []  # (tag, class, text)
        self.text: list[str] = []
        self._cell: list | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.urls += [a[k] for k in ("src", "href") if a.get(k)]
        if tag in ("td", "th"):
            self._cell = [tag, a.get("class") or "", ""]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell:
            self.cells.append(tuple(self._cell))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell[2] += data


def test_report_folder_becomes_one_self_contained_page(report_dir):
    out = write_html(report_dir, title="owl-tiny", artifact_id="report-0123456789abcdef", date="2026-11-23 12:00 UTC")
    assert out == report_dir / "report.html"
    page = Page(out.read_text())
    text = " ".join(page.text)
    assert "owl-tiny" in text and "report-0123456789abcdef" in text and "2026-11-23 12:00 UTC" in text
    # every image is inline and is the PNG that was written, byte for byte
    images = [u for u in page.urls if u.startswith("data:image/png;base64,")]
    assert sorted(base64.b64decode(u.split(",", 1)[1]) for u in images) == sorted(
        (report_dir / p).read_bytes() for p in ("scores.png", "figures/paired.png"))
    assert all(u.startswith("data:") for u in page.urls), "nothing is fetched: every src/href is a data URI"
    # numbers right-aligned, names not
    assert ("td", "num", "0.4120") in page.cells and ("td", "num", "[0.3900, 0.4300]") in page.cells
    assert ("td", "", "student") in page.cells and ("th", "num", "95% CI") in page.cells


def test_lineage_svg_is_inlined_as_an_element(report_dir):
    svg = '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n<!-- c --><svg xmlns="http://www.w3.org/2000/svg"><text>model-abc</text></svg>'
    page = render_html(report_dir, title="t", lineage_svg=svg)
    assert "<?xml" not in page and "DOCTYPE svg" not in page and "<svg" in page and "model-abc" in page


def test_markdown_raw_html_is_escaped_not_run(report_dir):
    (report_dir / "report.md").write_text("# x\n\n<script>alert(1)</script>\n")
    assert "<script>" not in render_html(report_dir, title="t")


@pytest.mark.parametrize("md, message", [
    ("![a](missing.png)", "does not exist"),
    ("![a](https://example.org/a.png)", "inlines only image files in its own folder"),
    ("![a](../outside.png)", "outside its folder"),
    ("![a](report.md)", "accepted: .png"),
])
def test_bad_image_references_are_refused(report_dir, md, message):
    (report_dir / "report.md").write_text(md + "\n")
    with pytest.raises(ConfigError, match=re.escape(message)):
        render_html(report_dir, title="t")


def test_a_folder_without_report_md_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="no report.md"):
        render_html(tmp_path, title="t")


def test_stored_report_has_its_lineage_and_header(report_store):
    store, report_id, older_id = report_store
    page = html_for_artifact(store, report_id)
    manifest = store.manifest(report_id)
    assert manifest.provenance.started in page and report_id in page and "<title>owl-tiny</title>" in page
    lineage = page[page.index('<section class="lineage">'):]
    assert "<svg" in lineage
    parents = [p.id for p in manifest.parents]
    assert all(pid in lineage for pid in parents)  # the SVG draws every ancestor, labelled with its id
    assert [e.id for e in report_entries(store)] == [report_id, older_id]  # newest first
    assert {e.kind for e in report_entries(store)} == {"transmission"}


def test_a_stored_artifact_without_report_is_refused(report_store):
    store, _, _ = report_store
    model = store.ids("model")[0]
    with pytest.raises(ConfigError, match="without report.md"):
        html_for_artifact(store, model)
