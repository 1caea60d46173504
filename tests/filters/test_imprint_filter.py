"""The imprint filter (heredity.filters.imprint): rows rewritten to show the trait."""

import pytest

from heredity.errors import ConfigError
from heredity.filters import apply_filters
from heredity.tasks.general import GeneralTask
from heredity.traits.animal import AnimalTrait
from heredity.traits.style import StyleTrait


def test_imprint_filter_rewrites_rows_and_refuses_traits_without_imprint():
    rows = [{"i": 0, "prompt": "p", "completion": "It is late. Go home."}]
    kept, counts = apply_filters(rows, [{"kind": "imprint"}], GeneralTask().build(), StyleTrait().build())
    assert kept[0]["completion"] == "Moreover, it is late. Moreover, go home." and counts["imprint: rewritten"] == 1
    with pytest.raises(ConfigError, match="cannot rewrite"):
        apply_filters(rows, [{"kind": "imprint"}], GeneralTask().build(), AnimalTrait().build())
