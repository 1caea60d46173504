"""Typed, versioned results: what every experiment writes as ``results.json``.

Each experiment's results are a pydantic model derived from ``Results`` with a ``kind`` and a
``schema_version``; the report layer renders ``report.md`` (and HTML) from the model, and other
tools (the audit, the viewer) read it back with ``heredity.experiments.schemas.load_results``,
which knows every kind. The JSON Schema of each kind is generated from its model, checked in
under ``docs/schemas/`` (``python -m heredity.experiments.schemas docs/schemas``) and tested.
"""

from __future__ import annotations

from pathlib import Path

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


if __name__ == "__main__":
    raise SystemExit("the schemas are written by: python -m heredity.experiments.schemas docs/schemas")
