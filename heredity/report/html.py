"""One self-contained ``report.html`` from a report folder.

The folder's ``report.md`` becomes HTML (markdown-it, CommonMark with tables; raw HTML in the
markdown is escaped, not passed through), every image it references is inlined as a base64
data URI, the stylesheet is inline, and the lineage graph, when given, is inline SVG. The file
fetches nothing: it opens the same offline, from a mail attachment or from ``heredity view``.
"""

from __future__ import annotations

import base64
import html
import re
from datetime import UTC, datetime
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from heredity.errors import ConfigError
from heredity.report.style import STYLESHEET

IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}
# A cell is a number when it starts like one: 0.41, -0.002, +0.3, −1e-4, [0.1, 0.2], 12/40, 45%, –.
_NUMERIC = re.compile(r"^\s*(?:[-+−–]?\s*[\d.]|\[\s*[-+−–]?[\d.]|–\s*$)")


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _data_uri(report_dir: Path, src: str) -> str:
    if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith("//"):
        raise ConfigError(f"report.md references {src!r}: a self-contained report inlines only image files in its own folder "
                          f"({report_dir}); accepted: a relative path to a {', '.join(IMAGE_TYPES)} file")
    path = (report_dir / src).resolve()
    if not path.is_relative_to(report_dir.resolve()):
        raise ConfigError(f"report.md references {src!r}, outside its folder {report_dir}; accepted: a path inside the folder")
    kind = IMAGE_TYPES.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(f"report.md references {src!r}: not an image this report can inline; accepted: {', '.join(IMAGE_TYPES)}")
    if not path.is_file():
        raise ConfigError(f"report.md references {src!r}, but {path} does not exist")
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _mark_numeric_columns(tokens: list[Token]) -> None:
    """Give ``class="num"`` to every cell of a table column whose body cells are all numbers."""
    table: list[list[tuple[Token, str]]] = []
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            table = []
        elif token.type == "tr_open":
            table.append([])
        elif token.type in ("td_open", "th_open") and table:
            table[-1].append((token, tokens[i + 1].content if i + 1 < len(tokens) else ""))
        elif token.type == "table_close" and len(table) > 1:
            body = table[1:]
            for col in range(len(table[0])):
                cells = [row[col][1] for row in body if col < len(row)]
                if cells and all(_NUMERIC.match(c) for c in cells):
                    for row in table:
                        if col < len(row):
                            row[col][0].attrJoin("class", "num")


def markdown_to_html(text: str, report_dir: Path) -> str:
    """The body HTML of ``text``: images inlined, numeric table columns marked ``class="num"``."""
    md = _markdown()
    tokens = md.parse(text)
    _mark_numeric_columns(tokens)
    for token in tokens:
        for child in token.children or []:
            if child.type == "image":
                child.attrSet("src", _data_uri(report_dir, str(child.attrGet("src") or "")))
    return md.renderer.render(tokens, md.options, {})


def clean_svg(svg: str) -> str:
    """An SVG document as an inline element: the XML prolog, doctype and comments dropped."""
    start = svg.find("<svg")
    if start < 0:
        raise ConfigError("lineage_svg: not an SVG document (no <svg element)")
    return re.sub(r"<!--.*?-->", "", svg[start:], flags=re.S)


def render_html(report_dir: Path, *, title: str, lineage_svg: str | None = None,
                artifact_id: str | None = None, date: str | None = None) -> str:
    """The whole self-contained page for ``report_dir`` (which must hold ``report.md``).

    ``date`` defaults to report.md's modification time (UTC); ``artifact_id`` is shown when given.
    """
    report_dir = Path(report_dir)
    source = report_dir / "report.md"
    if not source.is_file():
        raise ConfigError(f"{report_dir}: no report.md (a report folder holds report.md and its figures)")
    if date is None:
        date = datetime.fromtimestamp(source.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta = [f"<span>{html.escape(date)}</span>"]
    if artifact_id:
        meta.append(f"<span>artifact <code>{html.escape(artifact_id)}</code></span>")
    lineage = ""
    if lineage_svg:
        lineage = f'<section class="lineage"><h2>Lineage</h2><div class="svg">{clean_svg(lineage_svg)}</div></section>'
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLESHEET}</style></head>\n<body>"
        f'<header><div class="run">{html.escape(title)}</div><div class="meta">{" · ".join(meta)}</div></header>\n'
        f"<main>{markdown_to_html(source.read_text(), report_dir)}{lineage}</main></body></html>\n"
    )


def write_html(report_dir: Path, *, title: str, lineage_svg: str | None = None, artifact_id: str | None = None,
               date: str | None = None) -> Path:
    """Write ``report_dir/report.html`` (see ``render_html``); returns its path."""
    page = render_html(report_dir, title=title, lineage_svg=lineage_svg, artifact_id=artifact_id, date=date)
    out = Path(report_dir) / "report.html"
    out.write_text(page)
    return out
