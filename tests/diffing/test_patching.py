from __future__ import annotations

import pytest

from heredity.diffing import patching


def rows(tag: str, n: int = 20, prompts: str = "p"):
    return [{"i": i, "prompt": f"{prompts}{i}", "completion": f"{tag}{i}"} for i in range(n)]


A, B = rows("T1-"), rows("T2-")


def test_swap_replaces_exactly_the_subset_with_b_on_the_same_prompt():
    out = patching.swap(A, B, {3, 7})
    assert [r["completion"] for r in out][:8] == ["T1-0", "T1-1", "T1-2", "T2-3", "T1-4", "T1-5", "T1-6", "T2-7"]
    assert [r["prompt"] for r in out] == [r["prompt"] for r in A]
    assert len(out) == len(A)
    out[3]["completion"] = "changed"
    assert B[3]["completion"] == "T2-3"  # fresh dicts


def test_swap_refuses_other_prompts_and_missing_rows():
    with pytest.raises(ValueError, match="i=2: the pipelines' prompts differ"):
        patching.swap(A, rows("T2-", prompts="q"), {2})
    with pytest.raises(ValueError, match=r"cannot swap i=\[25\]"):
        patching.swap(A, B, {25})


def test_drop_removes_the_subset():
    out = patching.drop(A, {0, 5})
    assert [r["i"] for r in out] == [i for i in range(20) if i not in (0, 5)]


def test_a_refilled_drop_keeps_the_size_with_copies_of_kept_rows_only():
    out = patching.drop(A, {0, 5, 9}, refill_seed=1)
    assert len(out) == len(A) and [r["i"] for r in out[:17]] == [i for i in range(20) if i not in (0, 5, 9)]
    copies = out[17:]
    assert [r["i"] for r in copies] == [20, 21, 22] and all(r["copy_of"] not in (0, 5, 9) for r in copies)
    assert all(r["completion"] == f"T1-{r['copy_of']}" for r in copies)
    assert out == patching.drop(A, {0, 5, 9}, refill_seed=1) != patching.drop(A, {0, 5, 9}, refill_seed=2)
    assert patching.drop(A, set(), refill_seed=1) == A
    with pytest.raises(ValueError, match="no row is left"):
        patching.drop(A, set(range(20)), refill_seed=1)


def test_refill_is_a_drop_option_and_leaves_older_patch_ids_alone():
    from heredity.config import recipe_dict
    from heredity.errors import ConfigError
    from heredity.steps.patch import PatchRecipe

    assert "refill" not in recipe_dict(PatchRecipe(op="drop", subset=[1]))
    assert recipe_dict(PatchRecipe(op="drop", subset=[1], refill=True))["refill"] is True
    with pytest.raises((ValueError, ConfigError), match="refill applies to op 'drop' only"):
        PatchRecipe(op="swap", subset=[1], refill=True)


def test_teacher_patch_is_seeded_and_sized():
    out, swapped = patching.teacher_patch(A, B, 0.25, seed=3)
    _, same = patching.teacher_patch(list(reversed(A)), B, 0.25, seed=3)
    assert swapped == same and len(swapped) == 5
    assert {r["i"] for r in out if r["completion"].startswith("T2")} == swapped
    _, other = patching.teacher_patch(A, B, 0.25, seed=4)
    assert other != swapped
    assert patching.teacher_patch(A, B, 0.0, 0)[1] == frozenset()
    assert patching.teacher_patch(A, B, 1.0, 0)[1] == frozenset(range(20))
    # nested doses are not promised, but every draw is reproducible
    assert patching.teacher_patch(A, B, 0.5, 9) == patching.teacher_patch(A, B, 0.5, 9)


def test_mixture_takes_alpha_of_rows_from_b():
    Q = rows("T2-", prompts="q")
    out = patching.mixture(A, Q, 0.3, seed=1)
    assert len(out) == 20 and [r["i"] for r in out] == list(range(20))
    from_b = [r for r in out if r["from"] == "b"]
    assert len(from_b) == 6 and all(r["prompt"].startswith("q") for r in from_b)
    assert all(r["completion"] == f"T2-{r['source_i']}" for r in from_b)
    assert out == patching.mixture(A, Q, 0.3, seed=1)
    with pytest.raises(ValueError, match="needs 20 rows from B, which has 5"):
        patching.mixture(A, Q[:5], 1.0, seed=0)


def test_random_subsets_are_same_size_seeded_and_respect_exclude():
    flip = frozenset({0, 1, 2})
    subsets = patching.random_subsets(range(20), 3, seed=0, count=4, exclude=flip)
    assert len(subsets) == 4 and all(len(s) == 3 and not (s & flip) for s in subsets)
    assert len(set(subsets)) > 1
    assert subsets == patching.random_subsets(range(20), 3, seed=0, count=4, exclude=flip)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"fraction must be in \[0, 1\] \(got 1.5\)"):
        patching.choose(range(5), 1.5, 0)
    with pytest.raises(ValueError, match="row i=1 appears twice"):
        patching.drop(A[:2] + A[1:2], {0})
