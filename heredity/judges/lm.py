"""The language-model judge: a local model ``heredity`` can load, or an OpenAI-compatible
endpoint the user names.

- ``model: PATH`` (a Hugging Face model folder, e.g. a store artifact's folder): the rubric's
  question and the text are rendered as one user turn asking for a single digit 0-9; the
  score is the expected digit under the model's next-token distribution restricted to the ten
  digit tokens, mapped linearly onto the rubric's scale. Deterministic, no sampling.
- ``endpoint: URL`` (e.g. ``http://127.0.0.1:8000/v1``): POST ``URL/chat/completions`` with the
  question on the rubric's own scale, temperature 0; the first number of the reply is the
  score. ``api_key_env`` names an environment variable holding a bearer token (never the key
  itself in the file).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Literal

from pydantic import model_validator

from heredity.errors import ConfigError
from heredity.judges.base import JUDGES, Judge, JudgeConfig, Rubric

TEMPLATE = "{question}\n\nText:\n\"\"\"\n{text}\n\"\"\"\n\n{instruction}"


def question_text(rubric: Rubric, text: str, low: float, high: float) -> str:
    instruction = f"Answer with a single number from {low:g} to {high:g} and nothing else."
    return TEMPLATE.format(question=rubric.question, text=text, instruction=instruction)


class LocalModelJudge(Judge):
    kind = "lm"

    def __init__(self, rubric: Rubric, path: str):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        super().__init__(rubric)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
        digits = [self.tokenizer(str(d), add_special_tokens=False).input_ids for d in range(10)]
        if any(len(ids) != 1 for ids in digits):
            raise ConfigError(f"judge lm: the model at {path} does not have one token per digit 0-9; use an endpoint judge")
        self.digit_ids = [ids[0] for ids in digits]

    def score(self, texts):
        import torch

        from heredity.models.chat import render

        out = []
        with torch.inference_mode():
            for text in texts:
                prompt = render(self.tokenizer, question_text(self.rubric, text, 0, 9))
                ids = self.tokenizer(prompt, add_special_tokens=False, return_tensors="pt").input_ids
                logits = self.model(input_ids=ids).logits[0, -1, self.digit_ids].float()
                expected = float((torch.softmax(logits, -1) * torch.arange(10)).sum())
                out.append(self.rubric.clip(self.rubric.low + (self.rubric.high - self.rubric.low) * expected / 9))
        return out


class EndpointJudge(Judge):
    kind = "lm-endpoint"

    def __init__(self, rubric: Rubric, url: str, model: str, api_key_env: str | None, timeout: float):
        super().__init__(rubric)
        self.url, self.model, self.timeout = url.rstrip("/") + "/chat/completions", model, timeout
        self.headers = {"Content-Type": "application/json"}
        if api_key_env:
            key = os.environ.get(api_key_env)
            if not key:
                raise ConfigError(f"judge lm: api_key_env: environment variable {api_key_env} is not set")
            self.headers["Authorization"] = f"Bearer {key}"

    def _ask(self, text: str) -> float:
        body = {
            "model": self.model, "temperature": 0, "max_tokens": 8,
            "messages": [{"role": "user", "content": question_text(self.rubric, text, self.rubric.low, self.rubric.high)}],
        }
        request = urllib.request.Request(self.url, data=json.dumps(body).encode(), headers=self.headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read())
            content = reply["choices"][0]["message"]["content"]
        except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise ConfigError(f"judge lm: endpoint {self.url} gave no usable reply: {exc}") from None
        number = re.search(r"-?\d+(?:\.\d+)?", content or "")
        if number is None:
            raise ConfigError(f"judge lm: endpoint {self.url} replied {content!r}, which holds no number")
        return self.rubric.clip(float(number.group()))

    def score(self, texts):
        return [self._ask(t) for t in texts]


@JUDGES.register("lm")
class LMJudgeConfig(JudgeConfig):
    """Exactly one of ``model`` (a local model folder) or ``endpoint`` (an OpenAI-compatible URL)."""

    kind: Literal["lm"] = "lm"
    model: str | None = None
    endpoint: str | None = None
    endpoint_model: str = "judge"  # the "model" field sent to the endpoint
    api_key_env: str | None = None
    timeout: float = 60.0

    @model_validator(mode="after")
    def _one_source(self) -> LMJudgeConfig:
        if (self.model is None) == (self.endpoint is None):
            raise ValueError("give exactly one of model (a local model folder) or endpoint (an OpenAI-compatible URL)")
        if self.endpoint is not None and not re.match(r"https?://", self.endpoint):
            raise ValueError(f"endpoint must be an http(s) URL (got {self.endpoint!r})")
        return self

    def build(self, rubric: Rubric) -> Judge:
        if self.model is not None:
            if not (Path(self.model) / "config.json").exists():
                raise ConfigError(f"judge lm: model: {self.model} is not a model folder (no config.json)")
            return LocalModelJudge(rubric, self.model)
        if self.endpoint is None:  # the validator requires exactly one of model and endpoint
            raise ConfigError("judge lm: give exactly one of model (a local model folder) or endpoint (an OpenAI-compatible URL)")
        return EndpointJudge(rubric, self.endpoint, self.endpoint_model, self.api_key_env, self.timeout)
