"""Names and other user text are data, never markup, emoji codes or terminal commands.

``plain`` drops control characters (ANSI escape sequences start with ESC; a carriage return can
overwrite what an auditor reads); ``safe`` also escapes rich markup (``evil[/] x`` would close a
tag nobody opened, and crash the print). Use ``safe`` wherever user text reaches rich, ``plain``
wherever it reaches a terminal unformatted. ``console()`` is the one way heredity makes a rich
console: no emoji substitution (``animal:dog:`` stays text), and whole lines when the output is
not a terminal (a log file gets no line break in the middle of a value).
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

from rich.markup import escape

if TYPE_CHECKING:
    from rich.console import Console

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_KEEP_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: object) -> str:
    """One line of text with every control character (newlines and tabs too) removed."""
    return _CONTROL.sub("", str(text))


def plain_block(text: str) -> str:
    """Text of many lines (a report) with control characters other than newline and tab removed."""
    return _CONTROL_KEEP_LINES.sub("", text)


def safe(text: object) -> str:
    """``plain`` and escaped for rich markup."""
    return escape(plain(text))


def console(stderr: bool = True, **options) -> Console:
    """A rich console for heredity's own output. ``emoji=False``: rich would turn ``:dog:`` in a
    trait name into a picture. ``soft_wrap`` off a terminal: rich wraps at 80 columns, which in a
    log breaks ``in 22.8s`` across two lines; a terminal wraps by itself."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    isatty = getattr(stream, "isatty", None)
    options.setdefault("soft_wrap", not (isatty and isatty()))
    return Console(stderr=stderr, emoji=False, **options)
