"""Typed, versioned results: what every experiment writes as ``results.json``.

Each experiment's results are a pydantic model derived from ``Results`` with a ``kind`` and a
``schema_version``; the report layer renders ``report.md`` (and HTML) from the model, and other
tools (the audit, the viewer) read it back with ``load_results``. The JSON Schema of each kind
is generated from its model (``schemas()``), checked in under ``docs/schemas/`` and tested.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field

from heredity.registry import Registry
from heredity.stats_records import Comparison, LogRatio, Record  # noqa: F401 - the statistics' records, re-exported
from heredity.store import write_json


class Results(Record):
    kind: str
    schema_version: int

    def write(self, folder: Path) -> None:
        write_json(folder / "results.json", self.model_dump(mode="json"))


RESULTS: Registry[type[Results]] = Registry("results kind")


class ScoreSummary(Record):
    """A trait score on one model (several seeds combined probe by probe)."""

    p: float = Field(description="mean over probes of the per-probe score")
    ci: tuple[float, float] = Field(description="95% interval")
    n: int = Field(description="probes (exact) or answers (sampled)")
    method: str = Field(description="the estimator")
    scores: list[str] = Field(description="the scores artifacts measured, one per seed")
    per_seed: list[float] | None = Field(None, description="each seed's score, when there are several")
    per_probe: list[float] = Field(description="per-probe values (seeds averaged), what paired tests pair on")


# Modules whose results kinds are not experiment kinds (those register with their experiment).
_RESULTS_MODULES = ["heredity.audit.results", "heredity.audit.screen"]


def load_kinds() -> None:
    """Register every results kind: the experiments' and the audit's."""
    from importlib import import_module

    from heredity.experiments import load_all

    load_all()
    for module in _RESULTS_MODULES:
        import_module(module)


def load_results(path: Path) -> Results:
    """A results file read back into its typed model (by its ``kind``), whichever command wrote it."""
    data = json.loads(Path(path).read_text())
    load_kinds()
    if not isinstance(data, dict) or "kind" not in data:
        raise ValueError(f"{path}: not a results file (no 'kind'; accepted kinds: {', '.join(RESULTS.names())})")
    return RESULTS.get(data["kind"]).model_validate(data)


def schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every registered results kind."""
    load_kinds()
    return {name: RESULTS.get(name).model_json_schema() for name in RESULTS.names()}


def write_schemas(folder: Path) -> list[Path]:
    """Write ``<kind>.json`` for every results kind (``python -m heredity.results docs/schemas``)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    import sys

    from heredity.results import write_schemas  # the imported module, where the kinds register

    for path in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        print(path)
