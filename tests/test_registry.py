"""The one registry mechanism: lookups, errors that name the accepted, double registration."""

import pytest

from heredity.errors import ConfigError
from heredity.registry import Registry


def test_get_names_and_errors():
    colours = Registry("colour")
    colours.register("red")(1)
    colours.register("blue")(2)
    assert colours.get("red") == 1 and colours.names() == ["blue", "red"] and "blue" in colours
    with pytest.raises(ConfigError, match="unknown colour 'green'; accepted: blue, red"):
        colours.get("green")
    with pytest.raises(ValueError, match="accepted: blue, red"):
        colours.require("green")
    with pytest.raises(ValueError, match="registered twice"):
        colours.register("red")(3)
    colours.unregister("red")
    assert colours.names() == ["blue"]


def test_parse_builds_config_plugins_and_names_the_field():
    from heredity.traits import TRAITS

    assert TRAITS.parse({"kind": "animal", "animal": "wolf"}).animal == "wolf"
    with pytest.raises(ConfigError, match=r"trait: expected a mapping with a 'kind' \(accepted: .*animal"):
        TRAITS.parse({"animal": "wolf"})
    with pytest.raises(ConfigError, match="my.trait: .*unknown key"):
        TRAITS.parse({"kind": "animal", "colour": "red"}, where="my.trait")


def test_plugin_field_reports_the_path_and_the_accepted_kinds(tmp_path):
    from heredity.config import Strict, plugin, validate
    from heredity.filters import FILTERS

    class Holder(Strict):
        filters: list[plugin(FILTERS)] = []

    with pytest.raises(ConfigError) as err:
        validate(Holder, {"filters": [{"kind": "format"}, {"kind": "sieve"}]}, tmp_path / "x.yaml")
    assert "x.yaml: filters.1: unknown filter 'sieve' (accepted: " in str(err.value) and "keyword" in str(err.value)
    held = validate(Holder, {"filters": [{"kind": "keyword", "words": ["owl"]}]}, "x")
    assert held.model_dump(mode="json")["filters"] == [{"kind": "keyword", "words": ["owl"], "action": "drop"}]
