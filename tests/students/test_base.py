"""The student-kind check lives in the steps layer: a file's unknown mode is refused there, by
name, while the models layer's TrainRecipe neither checks nor imports the kinds."""

import subprocess
import sys

import pytest

from heredity.config import validate
from heredity.errors import ConfigError
from heredity.models.finetune import TrainRecipe
from heredity.steps.student import StudentRecipe


def test_an_unknown_mode_in_a_file_names_the_field_and_the_accepted_kinds():
    from heredity.experiments.transmission.config import StudentSettings

    with pytest.raises(ConfigError) as err:
        validate(StudentSettings, {"train": {"mode": "wish"}}, "f.yaml")
    assert str(err.value) == "f.yaml: train: mode: unknown student kind 'wish' (accepted: distill, sft)"
    assert validate(StudentSettings, {"train": {"mode": "distill"}}, "f.yaml").train.mode == "distill"
    with pytest.raises(ValueError, match="unknown student kind 'wish'"):
        StudentRecipe(train=TrainRecipe(mode="wish"), task={"kind": "general"})


def test_the_models_layer_does_not_import_student_kinds_or_the_store():
    code = ("import sys, heredity.models.finetune, heredity.models.distill, heredity.models.training; "
            "print(sorted(m for m in sys.modules if m.startswith(('heredity.students', 'heredity.store', 'heredity.steps'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert TrainRecipe(mode="anything").mode == "anything"  # the models layer never reads mode
