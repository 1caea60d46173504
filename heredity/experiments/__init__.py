"""Experiment kinds. Each module registers its config model and its ``run`` function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from heredity.registry import Registry
from heredity.store import Artifact


@dataclass(frozen=True)
class ExperimentKind:
    config: type  # a heredity.config.Strict subclass with a ``kind`` literal field
    run: Callable[[Any, Any], Artifact]  # (config, runner) -> the report artifact


EXPERIMENTS: Registry[ExperimentKind] = Registry("experiment kind")

# Modules that register experiment kinds; imported lazily so `heredity --help` stays fast.
_MODULES = ["heredity.experiments.mlp", "heredity.experiments.transmission", "heredity.experiments.diffing"]


def load_all() -> None:
    for module in _MODULES:
        try:
            import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def load_experiment(path: Path) -> Any:
    """Read and validate an experiment file; raises ConfigError with a precise message."""
    from heredity.config import read_yaml, validate
    from heredity.errors import ConfigError

    data = read_yaml(path)
    load_all()
    kind = data.get("kind")
    if kind is None:
        raise ConfigError(f"{path}: kind: required field is missing (accepted: {', '.join(EXPERIMENTS.names())})")
    if not isinstance(kind, str) or kind not in EXPERIMENTS:
        raise ConfigError(f"{path}: kind: unknown experiment kind {kind!r} (accepted: {', '.join(EXPERIMENTS.names())})")
    return validate(EXPERIMENTS.get(kind).config, data, path)
