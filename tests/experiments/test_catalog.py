"""docs/catalog.md is generated from the registries: the checked-in page is the one the code makes,
and it names every registered kind, trait, task, filter, inducer, estimator and format."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from heredity.experiments import EXPERIMENTS
from heredity.experiments.catalog import _registries, render
from heredity.traits.animal import ANIMALS

PAGE = Path(__file__).parents[2] / "docs" / "catalog.md"


def test_the_checked_in_catalog_is_the_generated_one(tmp_path):
    # In a fresh interpreter, as `make docs` makes it: plug-ins other tests register in this
    # process (tests/test_plugins.py) must not count.
    fresh = tmp_path / "catalog.md"
    subprocess.run([sys.executable, "-m", "heredity.experiments.catalog", str(fresh)], check=True, capture_output=True, timeout=300)
    assert PAGE.read_text() == fresh.read_text(), "docs/catalog.md is stale: run `make docs`"


def test_the_catalog_names_every_registered_name_and_the_accepted_animals():
    page = render()
    for _, _, registry in _registries():
        for name in registry.names():
            assert f"### `{name}`" in page, name
    for name in EXPERIMENTS.names():
        assert f"### `kind: {name}`" in page
    assert all(animal in page for animal in ANIMALS)  # a closed set is listed, not only its default
