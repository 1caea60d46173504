import pytest
from store_family import build_family


@pytest.fixture
def family(store):
    """(store, {name: artifact id}) of the synthetic lineage in store_family.py."""
    return store, build_family(store)
