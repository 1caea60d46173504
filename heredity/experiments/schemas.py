"""Every results kind, read back and described: ``load_results`` reads any ``results.json`` into
its typed model, ``schemas`` gives each kind's JSON Schema (checked in under ``docs/schemas/``:
``python -m heredity.experiments.schemas docs/schemas``).

It lives at the top of the house because it must know every kind: the experiments' and the
audit's. ``heredity.results`` (below) defines what a results model is and holds the registry.
"""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path
from typing import Any

from heredity.experiments import load_all
from heredity.results import RESULTS, Results

# Modules whose results kinds are not experiment kinds (those register with their experiment).
_RESULTS_MODULES = ["heredity.audit.results", "heredity.audit.screen"]


def load_kinds() -> None:
    """Register every results kind: the experiments', the audit's and the plug-ins'."""
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
    """Write ``<kind>.json`` for every results kind."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    import sys

    for written in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        print(written)
