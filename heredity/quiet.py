"""What the user sees is heredity's own: third-party progress bars, info logs and warnings are
silenced for a run, and come back with ``heredity --verbose``.

Everything here is an environment variable or a logging/warnings setting read when the library
is imported or the bar is made, so nothing heavy is imported here (``heredity ls`` must not pay
for transformers)."""

from __future__ import annotations

import logging
import os
import warnings

# Read by huggingface_hub, transformers and tqdm when they make a bar or a logger.
QUIET_ENVIRONMENT = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # downloads and transformers' own bars (it asks huggingface_hub)
    "TQDM_DISABLE": "1",  # bars made with tqdm directly: "Converting and de-quantizing GGUF tensors"
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",  # its fork warning
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}


def silence_third_party(verbose: bool) -> None:
    if verbose:
        return
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    for name in ("transformers", "peft", "huggingface_hub", "accelerate", "torch", "matplotlib", "datasets"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(transformers|peft|torch|accelerate)\b.*")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(transformers|peft|torch|accelerate)\b.*")
