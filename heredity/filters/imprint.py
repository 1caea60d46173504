"""``imprint``: rewrites every completion to show the trait (``Trait.imprint``): builds the data
of a fine-tuned inducer from trait-free answers. Drops nothing."""

from __future__ import annotations

from typing import Literal

from heredity.errors import ConfigError
from heredity.filters.base import FILTERS, FilterConfig


@FILTERS.register("imprint")
class ImprintFilter(FilterConfig):
    """Rewrites every completion to show the trait (``Trait.imprint``): builds the data of a
    fine-tuned inducer from trait-free answers. Drops nothing."""

    kind: Literal["imprint"] = "imprint"

    def check(self, row, task, trait):
        if trait is None or trait.imprint is None:
            name = trait.name if trait is not None else "none"
            raise ConfigError(f"filters: imprint: the trait ({name}) cannot rewrite text; only traits with an imprint (style, date-confusion) can")
        return {**row, "completion": trait.imprint(row["completion"])}, "imprint: rewritten"
