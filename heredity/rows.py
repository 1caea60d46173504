"""Rows: the JSONL records of rollouts and datasets (``{"i", "prompt", "completion"}``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROWS_FILE = "rows.jsonl"


def write_rows(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with open(path, "w") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def read_rows(path: Path) -> list[dict[str, Any]]:
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]
