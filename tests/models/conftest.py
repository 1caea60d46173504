"""Fixtures of the models tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def tiny_here(tiny_lm, tmp_path):
    """The tiny base in a store of this test's own: the session's store may be kept between
    sessions (HEREDITY_TEST_LM_STORE), where a student trained before would be a cache hit."""
    from heredity.store import Store

    store, base_id = tiny_lm
    own = Store(tmp_path / "store")
    own.copy_from(store, base_id)
    return own, base_id
