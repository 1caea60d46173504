"""Every limit refuses the value one over it, naming file, field, value and limit, and accepts the
limit itself; numbers that are not finite or too large are refused anywhere in the file."""

from __future__ import annotations

import pytest

from heredity import limits
from heredity.errors import ConfigError


def nested(key: str, value):
    parts = key.split(".")
    data = value
    for part in reversed(parts):
        data = {part: data}
    return data


@pytest.mark.parametrize("key", list(limits.LIMITS))
def test_each_limit_is_enforced_with_the_limit_in_the_message(key):
    limit = limits.LIMITS[key][0]
    limits.check(nested(key, limit), "exp.yaml")
    with pytest.raises(ConfigError, match=rf"exp\.yaml: {key}: {limit + 1:,} is over the limit of {limit:,}"):
        limits.check(nested(key, limit + 1), "exp.yaml")


def test_seeds_as_a_list_is_counted():
    with pytest.raises(ConfigError, match="seeds: a list of 1,001 is over the limit of 1,000"):
        limits.check({"seeds": list(range(1001))}, "f")


@pytest.mark.parametrize("value, fragment", [
    (float("inf"), "not a finite number"), (float("nan"), "not a finite number"),
    (2**64, "is too large"), (-(2**64), "is too large"), ("x" * (limits.MAX_STRING + 1), "characters"),
])
def test_bad_scalars_anywhere(value, fragment):
    with pytest.raises(ConfigError, match=fragment):
        limits.check({"student": {"train": {"lr": value}}}, "f")


def test_shared_aliases_cannot_blow_up_the_walk():
    data = [1] * 10
    for _ in range(20):  # 10 * 2**20 values if expanded
        data = [data, data]
    with pytest.raises(ConfigError, match="more than 100,000 values"):
        limits.check({"x": data}, "f")
