"""Named plug-ins, registered by decorator: the one extension mechanism of heredity.

Every extension point is a ``Registry``: traits, tasks, filters, inducers, student kinds,
estimators, exporters and experiment kinds. A plug-in is one file that registers itself::

    from typing import Literal
    from heredity.traits.base import TRAITS, TraitConfig

    @TRAITS.register("tree")
    class TreeTrait(TraitConfig):
        kind: Literal["tree"] = "tree"
        ...

Config plug-ins (traits, tasks, filters, inducers) register a ``heredity.config.Strict`` model
with a ``kind`` literal; a field of an experiment file accepts any of them through
``heredity.config.plugin(REGISTRY)`` (or its typed alias, ``AnyTrait = Annotated[TraitConfig,
PickedByKind(TRAITS)]``, which a type checker reads as ``TraitConfig``), and
``REGISTRY.parse(mapping)`` builds one in code.
Behaviour plug-ins (student kinds, estimators, exporters) register an object or a function.
Packages of plug-ins import every module they hold (``import_plugins``), so dropping a file in
is enough; plug-ins defined elsewhere (a user's module, a test) register the same way.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from heredity.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, what: str):
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(item: T) -> T:
            if name in self._items and self._items[name] is not item:
                raise ValueError(f"{self.what} {name!r} is registered twice")
            self._items[name] = item
            return item

        return decorate

    def unregister(self, name: str) -> None:
        """Remove a plug-in (tests that register a throwaway one clean up with this)."""
        self._items.pop(name, None)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise ConfigError(f"unknown {self.what} {name!r}; accepted: {', '.join(self.names())}") from None

    def require(self, name: str) -> str:
        """``name`` if it is registered, else a ValueError naming the accepted (for validators)."""
        if name not in self._items:
            raise ValueError(f"unknown {self.what} {name!r} (accepted: {', '.join(self.names())})")
        return name

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def parse(self, data: Any, where: str | None = None) -> Any:
        """A config plug-in from a mapping with a ``kind`` (or an already-built config).

        Errors name ``where`` (default: the registry's noun) and the accepted kinds.
        """
        from pydantic import BaseModel

        from heredity.config import Strict, validate

        if isinstance(data, Strict):
            return data
        where = where or self.what
        if not isinstance(data, dict) or "kind" not in data:
            raise ConfigError(f"{where}: expected a mapping with a 'kind' (accepted: {', '.join(self.names())})")
        # parse is for registries of config models (traits, tasks, filters, ...)
        return validate(cast("type[BaseModel]", self.get(data["kind"])), data, where)


@dataclass(frozen=True)
class PickedByKind:
    """``Annotated[Base, PickedByKind(REGISTRY)]``: a field of type ``Base`` (for the type checker)
    validated and serialised exactly as ``heredity.config.plugin(REGISTRY)``: the same pydantic
    schema, so recipe JSON, artifact ids and error messages do not depend on which is written."""

    registry: Registry[Any]

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from heredity.config import plugin

        return handler.generate_schema(plugin(self.registry))


def import_plugins(package: str, path: Iterable[str], skip: Iterable[str] = ("base",)) -> None:
    """Import every module of a plug-in package, so each file registers itself."""
    skipped = set(skip)
    for module in pkgutil.iter_modules(path):
        if module.name not in skipped and not module.name.startswith("_"):
            importlib.import_module(f"{package}.{module.name}")
