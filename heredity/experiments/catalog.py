"""``docs/catalog.md``: every registered name a file or a command accepts, generated from the
registries themselves, so the list cannot drift from the code (a test compares the checked-in
page with a fresh one; ``make docs`` or ``python -m heredity.experiments.catalog docs/catalog.md``
writes it).

For each plug-in config: its ``kind``, its first docstring line, and each field with its type,
default and description, with the accepted values where the field has a closed set. Behaviour
plug-ins (estimators, student kinds, executors, exporters) are listed by name and docstring.
"""

from __future__ import annotations

import inspect
import json
from importlib import import_module
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from heredity.experiments import EXPERIMENTS, load_all
from heredity.registry import Registry

HEADER = """# Catalog: every kind, trait, task, filter and setting heredity accepts

Generated from the registries by `make docs` (`python -m heredity.experiments.catalog
docs/catalog.md`); `tests/experiments/test_catalog.py` fails when this page and the code disagree.
A plug-in of your own (docs/extending.md) appears in `heredity` commands the same way, by its name.
"""


def _registries() -> list[tuple[str, str, Registry]]:
    """(section title, the key a file uses, registry) for everything a user can name."""
    load_all()
    from heredity.diffing.flip import SCORERS
    from heredity.executors import EXECUTORS
    from heredity.filters import FILTERS
    from heredity.inducers import INDUCERS
    from heredity.judges import JUDGES
    from heredity.measure import ESTIMATORS
    from heredity.mitigations import MITIGATIONS
    from heredity.store.exports import EXPORTERS
    from heredity.students import STUDENT_KINDS
    from heredity.tasks import TASKS
    from heredity.traits import TRAITS

    return [
        ("Traits", "trait: {kind: ...}", TRAITS),
        ("Tasks", "task: {kind: ...}", TASKS),
        ("Filters", "filters: {arm: [{kind: ...}]}", FILTERS),
        ("Inducers (how a teacher gets its trait)", "inducer: {kind: ...}", INDUCERS),
        ("Mitigations", "mitigations: [{kind: ...}]", MITIGATIONS),
        ("Judges (score free text for judged traits)", "judge: {kind: ...}", JUDGES),
        ("Flip-set row scorers (diffing)", "flip: {scorer: {kind: ...}}", SCORERS),
        ("Student kinds", "student: {train: {mode: ...}}", STUDENT_KINDS),
        ("Estimators", "measure: {estimator: ...}", ESTIMATORS),
        ("Executors", "heredity run FILE --executor ...", EXECUTORS),
        ("Export formats", "heredity export ID --format ...", EXPORTERS),
    ]


def _first_line(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _accepted(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """A closed set of values (an enum, a literal, a union of literals), else ''."""
    if "$ref" in schema:
        schema = defs.get(schema["$ref"].split("/")[-1], {})
    if "enum" in schema:
        return ", ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    for key in ("anyOf", "oneOf"):
        parts = [_accepted(s, defs) for s in schema.get(key, []) if s.get("type") != "null"]
        if parts and all(parts):
            return ", ".join(parts)
    return ""


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].split("/")[-1]
    if "type" in schema:
        inner = schema.get("items")
        return f"list of {_type(inner)}" if schema["type"] == "array" and inner else str(schema["type"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(_type(s) for s in schema[key])
    return "any"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_defaults=True) or "(its defaults)"
    return json.dumps(value, default=str)


def _fields(model: type[BaseModel]) -> list[str]:
    schema = model.model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    rows = []
    for name, prop in schema.get("properties", {}).items():
        if name == "kind":
            continue
        info = model.model_fields[name]
        default = "required" if info.is_required() else _default(info.get_default(call_default_factory=True))
        accepted = _accepted(prop, defs)
        description = prop.get("description") or info.description or ""
        rows.append(f"| `{name}` | {_cell(_type(prop))} | {_cell(default)} | {_cell(accepted)} | {_cell(description)} |")
    if not rows:
        return ["No settings.", ""]
    return ["| setting | type | default | accepted | what it is |", "| --- | --- | --- | --- | --- |", *rows, ""]


def _nested(model: type[BaseModel], seen: set[type]) -> list[type[BaseModel]]:
    """The settings blocks a model's fields hold (models, inside Optional, lists and dicts too),
    depth first; plug-in fields (typed as a plug-in base) are documented in their own sections."""
    from typing import get_args

    from heredity.config import Strict

    found: list[type[BaseModel]] = []

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in seen and annotation is not Strict and "kind" not in annotation.model_fields:
                seen.add(annotation)
                found.append(annotation)
                found.extend(_nested(annotation, seen))
            return
        for arg in get_args(annotation):
            visit(arg)

    for info in model.model_fields.values():
        visit(info.annotation)
    return found


def _entry(name: str, item: Any) -> list[str]:
    lines = [f"### `{name}`", ""]
    target = item.config if hasattr(item, "config") and isinstance(item.config, type) else item
    summary = _first_line(target)
    if summary:
        lines += [summary, ""]
    if isinstance(target, type) and issubclass(target, BaseModel):
        lines += _fields(target)
    return lines


def render() -> str:
    registries = _registries()  # registers every kind first
    lines = [HEADER, "## Experiment kinds (`kind:` at the top of a file)", "",
             "Accepted: " + ", ".join(f"`{n}`" for n in EXPERIMENTS.names()) + ". The top-level settings of each file:", ""]
    for name in EXPERIMENTS.names():
        kind = EXPERIMENTS.get(name)
        lines += [f"### `kind: {name}`", "", _first_line(import_module(kind.config.__module__.rsplit(".", 1)[0])), ""]
        lines += _fields(kind.config)
        for block in _nested(kind.config, set()):
            lines += [f"#### `{block.__name__}`", "", _first_line(block), ""] if _first_line(block) else [f"#### `{block.__name__}`", ""]
            lines += _fields(block)
    for title, key, registry in registries:
        lines += [f"## {title}", "", f"Named in a file or command as `{key}`. Accepted: "
                  + ", ".join(f"`{n}`" for n in registry.names()) + ".", ""]
        for name in registry.names():
            lines += _entry(name, registry.get(name))
    return "\n".join(lines).rstrip() + "\n"


def write(path: Path) -> Path:
    path.write_text(render())
    return path


if __name__ == "__main__":
    import sys

    print(write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/catalog.md")))
