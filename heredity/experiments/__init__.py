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
    # (config, runner) -> the report artifact; or "module:function", imported only when a run
    # starts, so that reading and validating a file never imports torch (a bad file fails fast).
    run: Callable[[Any, Any], Artifact] | str

    def start(self, config: Any, runner: Any) -> Artifact:
        run = self.run
        if isinstance(run, str):
            module, name = run.split(":")
            run = getattr(import_module(module), name)
        return run(config, runner)


EXPERIMENTS: Registry[ExperimentKind] = Registry("experiment kind")

# Modules that register experiment kinds; imported lazily so `heredity --help` stays fast.
_MODULES = ["heredity.experiments.mlp", "heredity.experiments.transmission", "heredity.experiments.diffing",
            "heredity.experiments.audit_bench"]


PLUGIN_GROUP = "heredity.plugins"


def load_all() -> None:
    """Register every experiment kind, then every installed plug-in package."""
    for module in _MODULES:
        try:
            import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    load_plugins()


def load_plugins() -> list[str]:
    """Import every package installed with a ``heredity.plugins`` entry point, so its traits,
    tasks, filters, inducers, student kinds or experiment kinds register themselves (a package
    declares ``[project.entry-points."heredity.plugins"] name = "its_module"``). Returns their names."""
    from importlib.metadata import entry_points

    from heredity.errors import ConfigError

    loaded = []
    for point in entry_points(group=PLUGIN_GROUP):
        try:
            point.load()
        except Exception as exc:  # a broken plug-in is named, not a traceback from inside it
            raise ConfigError(f"plug-in {point.name!r} ({point.value}, entry point group {PLUGIN_GROUP}) failed to "
                              f"load: {type(exc).__name__}: {exc}") from exc
        loaded.append(point.name)
    return loaded


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
