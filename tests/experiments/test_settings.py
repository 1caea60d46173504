"""One source per parameter: an experiment file's generation and measure blocks are the recipes'
own settings, shared by transmission and diffing, and a setting that would be ignored is an error."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from heredity.config import validate
from heredity.errors import ConfigError
from heredity.experiments import load_experiment
from heredity.experiments.diffing.config import DiffingConfig
from heredity.experiments.plan import plan
from heredity.experiments.transmission.config import TransmissionConfig
from heredity.steps.rollouts import GenerationSettings, RolloutsRecipe, Sampling
from heredity.tasks import TASKS

EXAMPLES = Path(__file__).parents[1].parent / "examples"
OWL = {"kind": "animal", "animal": "owl"}
TRANSMISSION = {"kind": "transmission", "name": "t", "trait": OWL, "task": {"kind": "general"}, "prompts": 8}
PIPELINE = {"prompts": {"task": {"kind": "general"}, "n": 8}, "teacher": {"inducer": "system-prompt", "trait": OWL}}
DIFFING = {"kind": "diffing", "name": "d", "a": PIPELINE, "b": {**PIPELINE, "teacher": {"inducer": "none"}},
           "factors": ["teacher"], "traits": [OWL]}


@pytest.mark.parametrize("model, data, block", [(TransmissionConfig, TRANSMISSION, "student"), (DiffingConfig, DIFFING, "students")])
def test_a_train_seed_that_seeds_would_overwrite_is_refused(model, data, block):
    data = copy.deepcopy(data)
    data[block] = {"seeds": [0, 1], "train": {"seed": 3}}
    with pytest.raises(ConfigError, match=rf"f.yaml: {block}: .*train.seed \(3\) would be ignored.*seeds \(\[0, 1\]\)"):
        validate(model, data, "f.yaml")
    data[block] = {"seeds": [3]}
    assert validate(model, data, "f.yaml")  # the seed, said once


def test_the_generation_block_is_the_rollouts_recipe_defined_once():
    # Every sampling field of the recipe comes from the one definition the settings share.
    sampling = set(RolloutsRecipe.model_fields) - {"task", "max_new_tokens", "backend"}
    assert sampling == set(Sampling.model_fields)
    assert issubclass(RolloutsRecipe, Sampling) and issubclass(GenerationSettings, Sampling)
    recipe = GenerationSettings(temperature=0.5, batch_size=8).recipe(TASKS.parse({"kind": "general"}))
    assert (recipe.temperature, recipe.batch_size) == (0.5, 8) and recipe.backend in ("hf", "vllm")  # resolved here
    assert recipe.max_new_tokens == TASKS.parse({"kind": "general"}).build().max_new_tokens  # the task's, unless set


def test_diffing_takes_generation_settings_and_the_estimator_registry(tmp_path):
    data = copy.deepcopy(DIFFING)
    data["generation"] = {"temperature": 0.7, "max_new_tokens": 12, "seed": 5}
    config = validate(DiffingConfig, data, "d.yaml")
    rollouts = [s for s in plan(config, tmp_path / "store").steps if s.kind == "rollouts"]
    assert len(rollouts) == 2  # teacher A's and teacher B's
    assert all(s.recipe["temperature"] == 0.7 and s.recipe["max_new_tokens"] == 12 and s.recipe["seed"] == 5 for s in rollouts)
    data["measure"] = {"estimator": "guess"}
    with pytest.raises(ConfigError, match=r"measure.estimator: .*unknown estimator 'guess' \(accepted: exact, sampled"):
        validate(DiffingConfig, data, "d.yaml")


def test_a_diffing_file_without_a_generation_block_plans_the_ids_it_always_did(tmp_path):
    # The generation block's defaults are the recipe's old fixed values: no cached rollouts move.
    path = EXAMPLES / "diffing-planted-filter.yaml"
    data = yaml.safe_load(path.read_text())
    assert "generation" not in data
    explicit = tmp_path / "explicit.yaml"
    explicit.write_text(yaml.safe_dump({**data, "generation": {"temperature": 1.0, "seed": 0, "batch_size": 64}}))
    ids = [[s.id for s in plan(load_experiment(p), tmp_path / "store").steps if s.kind != "report"] for p in (path, explicit)]
    assert ids[0] == ids[1]
