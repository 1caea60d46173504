"""What the user sees is heredity's own: third-party progress bars, info logs and warnings are
silenced for a run, and come back with ``heredity --verbose``."""

from __future__ import annotations

import logging
import os
import warnings


def silence_third_party(verbose: bool) -> None:
    if verbose:
        return
    # Set before transformers / huggingface_hub are imported (they read these once).
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("transformers", "peft", "huggingface_hub", "accelerate", "torch", "matplotlib"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(transformers|peft|torch)\b.*")
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - transformers is a dependency
        return
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
