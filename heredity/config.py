"""Experiment files: YAML validated by typed models, with one clear message per mistake.

Every experiment kind registers a pydantic model (``extra="forbid"``) and a ``run`` function
in ``heredity.experiments``; the YAML's ``kind`` field picks which.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_serializer

from heredity.errors import ConfigError


class Strict(BaseModel):
    """Base for every recipe and experiment model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BuiltOnce(Strict):
    """A plug-in config whose ``build()`` makes a heavier object (a trait, a task): ``built`` is
    that object, made once per config. The cache is not part of the config: it is left out of
    pickles (a built trait holds closures; Ray ships configs to workers, which build their own)."""

    @cached_property
    def built(self) -> Any:
        return self.build()

    def build(self) -> Any:  # overridden by each plug-in base with its abstract, typed build()
        raise TypeError(f"{type(self).__name__} has no build()")

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        state["__dict__"] = {k: v for k, v in state["__dict__"].items() if k != "built"}
        return state


def implicit_defaults(**defaults: Any):
    """A serializer for a recipe that gained fields after artifacts were made with it: each named
    field is left out of the serialised form while it holds the given value, so the ids of
    recipes written before it stay. Use in the class body: ``_implicit = implicit_defaults(x=1)``."""

    @model_serializer(mode="wrap")
    def leave_out(self, handler):
        data = handler(self)
        for name, value in defaults.items():
            if name in data and data[name] == value:
                del data[name]
        return data

    return leave_out


def recipe_dict(model: BaseModel) -> dict[str, Any]:
    """The JSON form of a recipe, as hashed into artifact ids."""
    return model.model_dump(mode="json")


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error (the last
    one would silently win, so a file could say two things)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:
                continue  # an unhashable key: the base class reports it
            if first != key_node.start_mark.line + 1:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first given at line {first})", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def read_text_limited(path: Path, limit: int) -> str:
    """The file's text, refusing more than ``limit`` bytes (``/dev/zero`` never ends)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not an experiment file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ConfigError(f"{path}: larger than {limit:,} bytes (the limit for an experiment file)")
    try:
        return data.decode()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None


def read_yaml(path: Path) -> dict[str, Any]:
    from heredity import limits

    text = read_text_limited(path, limits.MAX_FILE_BYTES)
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # safe: a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid YAML: nested too deeply (the limit is {limits.MAX_DEPTH} levels)") from None
    except ValueError as exc:  # e.g. an integer literal of more than 4,300 digits (Python will not read it)
        text = str(exc).splitlines()[0]
        if "integer string conversion" in text:
            text = "an integer of more than 4,300 digits"
        raise ConfigError(f"{path}: invalid YAML: {text}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level, got {type(data).__name__}")
    limits.check(data, path)
    return data


def format_validation_error(path: Path | str, exc: ValidationError) -> str:
    """One line per problem: ``FILE: field.path: what is wrong (what is accepted)``."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"] if not str(part).startswith("function-")) or "(top level)"
        kind = err["type"]
        if kind == "extra_forbidden":
            msg = "unknown key"
        elif kind == "missing":
            msg = "required field is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if "input" in err and kind not in ("model_type",) and not isinstance(err["input"], dict | list):
                msg += f" (got {err['input']!r})"
        lines.append(f"{path}: {loc}: {msg}")
    return "\n".join(lines)


def validate(model_cls: type[BaseModel], data: dict[str, Any], source: Path | str) -> BaseModel:
    from heredity import limits

    try:
        model = model_cls.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc)) from None
    except ConfigError as exc:  # raised by a registry lookup inside a validator
        raise ConfigError(f"{source}: {exc}") from None
    limits.check_converted(model, source)  # the values as validated ("9000" -> 9000, "inf" -> inf)
    return model


def plugin(registry: Any) -> Any:
    """A field type for a registered plug-in config (trait, task, filter), picked by its ``kind``.

    ``registry`` maps kind -> config model. The chosen model validates the mapping, so error
    locations stay precise (``trait.target``), and the full subclass is serialised into recipes.
    """
    from typing import Annotated

    from pydantic import BeforeValidator, SerializeAsAny

    def pick(value: Any) -> Any:
        if isinstance(value, Strict):
            return value
        if not isinstance(value, dict) or "kind" not in value:
            raise ValueError(f"expected a mapping with a 'kind' (accepted kinds: {', '.join(registry.names())})")
        if value["kind"] not in registry:
            raise ValueError(f"unknown {registry.what} {value['kind']!r} (accepted: {', '.join(registry.names())})")
        return registry.get(value["kind"]).model_validate(value)

    return Annotated[SerializeAsAny[Strict], BeforeValidator(pick)]
