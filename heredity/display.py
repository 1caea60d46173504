"""Names and other user text are data, never markup or terminal commands.

``plain`` drops control characters (ANSI escape sequences start with ESC; a carriage return can
overwrite what an auditor reads); ``safe`` also escapes rich markup (``evil[/] x`` would close a
tag nobody opened, and crash the print). Use ``safe`` wherever user text reaches rich, ``plain``
wherever it reaches a terminal unformatted.
"""

from __future__ import annotations

import re

from rich.markup import escape

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
