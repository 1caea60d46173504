"""Every limit refuses the value one over it, naming file, field, value and limit, and accepts the
limit itself; numbers that are not finite or too large are refused anywhere in the file."""

from __future__ import annotations

from pathlib import Path

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


@pytest.mark.parametrize("data, fragment", [
    ({"width": "9000"}, "width: 9,000 is over the limit of 8,192"),
    ({"width": 1.0e7}, "width: 10,000,000 is over the limit of 8,192"),
    ({"noise": {"count": 1.0e9}}, "noise.count: 1,000,000,000 is over the limit of 200,000"),
    ({"teacher": {"epochs": "999999999"}}, "teacher.epochs: 999,999,999 is over the limit of 1,000"),
    ({"seeds": [0, "99999999999"]}, "seeds.1: seed 99999999999 is out of range"),
])
def test_numbers_written_as_strings_or_floats_are_limited_as_the_integers_they_become(data, fragment):
    with pytest.raises(ConfigError, match=fragment):
        limits.check(data, "f")


def test_a_string_that_only_looks_like_a_number_is_left_alone_where_nothing_is_limited():
    limits.check({"name": "9000", "trait": {"target": "1e999"}}, "f")


def tiny_mlp(lr: str = "1.0e-3") -> str:
    """examples/mlp-tiny.yaml with the students' ``lr`` written as given (raw YAML)."""
    text = (Path(__file__).resolve().parents[1] / "examples" / "mlp-tiny.yaml").read_text()
    return text.replace("lr: 1.0e-3", f"lr: {lr}")


@pytest.mark.parametrize("lr", ["inf", "nan", "'-inf'"])
def test_lr_inf_is_refused_after_validation_converts_it(tmp_path, lr):
    """YAML reads ``inf`` as a string; the typed model makes it a float, which a recipe would
    record as null (the lineage would then lie about how the model was made)."""
    from heredity.experiments import load_experiment

    path = tmp_path / "exp.yaml"
    path.write_text(tiny_mlp(lr))
    with pytest.raises(ConfigError, match=r"exp\.yaml: student\.lr: (inf is not a finite number|Input should be greater than 0)"):
        load_experiment(path)
    path.write_text(tiny_mlp("1.0e-3"))
    assert load_experiment(path).student.lr == 1.0e-3
