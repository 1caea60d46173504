"""The checks every experiment's list of mitigations passes (``mitigations.base.check_arms``):
the transmission kind and a diffing pipeline call the same function."""

import pytest

from heredity.mitigations import MITIGATIONS
from heredity.mitigations.base import check_arms


def arms(*kinds):
    return [MITIGATIONS.parse({"kind": k}) for k in kinds]


def check(mitigations, mode="sft"):
    return check_arms(mitigations, field="x.mitigations", distill=mode == "distill", mode=mode, mode_field="x.mode",
                      where="this test's cells do not support")


def test_the_loss_mitigations_are_returned_and_data_ones_pass():
    assert check(arms("paraphrase", "divergence-mask")) == ["divergence-mask"]
    assert check(arms("ensemble")) == []  # SFT: the ensemble draws rows (data)
    assert check(arms("ensemble"), mode="distill") == ["ensemble"]  # distillation: the mean target (loss)


def test_each_refusal_names_the_field_and_what_is_accepted():
    with pytest.raises(ValueError, match=r"x\.mitigations: 'paraphrase' given twice; give each its own label"):
        check(arms("paraphrase", "paraphrase"))
    with pytest.raises(ValueError, match=r"x\.mitigations\.1: gradient-projection acts on the update, which this test's "
                                         r"cells do not support; accepted: data mitigations"):
        check(arms("paraphrase", "gradient-projection"))
