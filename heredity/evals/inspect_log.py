"""A heredity ``Score`` (scores.json) as an inspect_ai eval log, for inspect's viewer.

One sample per probe (``id`` = probe index, input = the probe when the trait is given), scored
with heredity's per-probe value; the results carry the score ``p``, its 95% CI and ``n`` as
metrics (``mean``, ``ci_lower``, ``ci_upper``, ``n``), and the estimator's details as metadata.
The log's format follows the file name: ``.eval`` (inspect's binary) or ``.json``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from heredity.errors import ConfigError

REQUIRED = ("label", "method", "p", "ci", "n", "per_probe")


def _load(score_json: dict[str, Any] | str | Path) -> dict[str, Any]:
    if isinstance(score_json, dict):
        data = score_json
    else:
        try:
            data = json.loads(Path(score_json).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{score_json}: not a readable scores.json ({exc})") from None
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise ConfigError(f"not a heredity score: missing {', '.join(missing)} (a scores.json has {', '.join(REQUIRED)})")
    return data


def export_inspect_log(score_json: dict[str, Any] | str | Path, path: str | Path, *, model: str = "heredity/unknown",
                       probes: list[str] | None = None, task: str | None = None) -> Path:
    """Write ``path`` (.eval or .json); returns it. ``probes``: the probe texts, in order."""
    from inspect_ai.log import (
        EvalConfig,
        EvalDataset,
        EvalLog,
        EvalMetric,
        EvalResults,
        EvalSample,
        EvalScore,
        EvalSpec,
        write_eval_log,
    )
    from inspect_ai.scorer import Score

    data = _load(score_json)
    path = Path(path)
    if path.suffix not in (".eval", ".json"):
        raise ConfigError(f"{path}: an inspect log is a .eval or .json file (got {path.suffix or 'no suffix'})")
    per_probe = [float(v) for v in data["per_probe"]]
    if probes is not None and len(probes) != len(per_probe):
        raise ConfigError(f"probes: {len(probes)} texts for {len(per_probe)} per-probe values; give one per probe, in order")
    samples = [EvalSample(id=i, epoch=1, input=probes[i] if probes else f"probe {i}", target="",
                          scores={"heredity": Score(value=v)}) for i, v in enumerate(per_probe)]
    lo, hi = data["ci"]
    metrics = {"mean": EvalMetric(name="mean", value=float(data["p"])), "ci_lower": EvalMetric(name="ci_lower", value=float(lo)),
               "ci_upper": EvalMetric(name="ci_upper", value=float(hi)), "n": EvalMetric(name="n", value=float(data["n"]))}
    log = EvalLog(
        status="success",
        eval=EvalSpec(created=datetime.now(UTC).isoformat(timespec="seconds"), task=task or f"heredity/{data['label']}",
                      dataset=EvalDataset(name=data["label"], samples=len(per_probe)), model=model, config=EvalConfig(),
                      metadata={"heredity": {k: data[k] for k in data if k != "per_probe"}}),
        results=EvalResults(total_samples=len(per_probe), completed_samples=len(per_probe),
                            scores=[EvalScore(name="heredity", scorer=f"heredity-{data['method']}", metrics=metrics)]),
        samples=samples,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_eval_log(log, str(path))
    return path
