"""Backend choice for rollouts: auto, hf, vllm; the refusal names the extra; the regex vLLM is
given accepts exactly what the grammar's DFA accepts; the default keeps rollouts ids."""

from __future__ import annotations

import random
import re

import pytest

from heredity.config import recipe_dict
from heredity.errors import ConfigError
from heredity.models import backends
from heredity.models.grammar import number_list_dfa, number_list_regex
from heredity.steps.rollouts import RolloutsRecipe
from heredity.tasks.numbers import NumbersTask


def test_auto_picks_vllm_only_with_vllm_and_a_gpu():
    assert backends.choose("auto", vllm=True, cuda=True) == "vllm"
    assert backends.choose("auto", vllm=True, cuda=False) == "hf"
    assert backends.choose("auto", vllm=False, cuda=True) == "hf"
    assert backends.choose("hf", vllm=True, cuda=True) == "hf"
    assert backends.choose("vllm", vllm=True, cuda=True) == "vllm"


def test_vllm_cpu_build_is_accepted_when_asked_for_but_auto_stays_hf():
    assert backends.choose("vllm", vllm=True, cuda=False, cpu_build=True) == "vllm"
    assert backends.choose("auto", vllm=True, cuda=False, cpu_build=True) == "hf"
    assert not backends.vllm_cpu_build()  # .venv has no vLLM; .venv-vllm (make vllm) has vllm-cpu


def test_here_auto_is_hf():
    # This machine (and CI) has neither vLLM nor a GPU.
    assert not backends.vllm_importable()
    assert backends.resolve("auto") == "hf"


def test_vllm_without_vllm_is_refused_naming_the_extra():
    with pytest.raises(ConfigError, match=r"pip install 'heredity\[gpu\]'"):
        backends.resolve("vllm")
    with pytest.raises(ConfigError, match="needs a CUDA GPU"):
        backends.choose("vllm", vllm=True, cuda=False)
    with pytest.raises(ConfigError, match="accepted: auto, hf, vllm"):
        backends.choose("tgi", vllm=True, cuda=True)


def test_vllm_generate_without_vllm_is_refused_naming_the_extra(tmp_path):
    from heredity.models import vllm_backend
    from heredity.models.loading import ModelRef

    with pytest.raises(ConfigError, match=r"heredity\[gpu\]"):
        vllm_backend.generate(ModelRef(tmp_path), ["hi"], max_new_tokens=4, temperature=1.0, seed=0)


def test_vllm_request_seeds_are_distinct_and_stable():
    from heredity.models.vllm_backend import request_seed

    seeds = {request_seed(s, i) for s in range(4) for i in range(1000)}
    assert len(seeds) == 4000 and all(0 <= x < 2**63 for x in seeds)
    assert request_seed(3, 7) == request_seed(3, 7)


def test_default_backend_leaves_rollouts_ids_unchanged():
    task = NumbersTask(max_new_tokens=12)
    before = {"task": recipe_dict(task), "temperature": 1.0, "max_new_tokens": 12, "batch_size": 64, "dtype": "float32", "seed": 0}
    assert recipe_dict(RolloutsRecipe(task=task, max_new_tokens=12)) == before  # the recipe hashed before backends
    assert recipe_dict(RolloutsRecipe(task=task, max_new_tokens=12, backend="vllm")) == before | {"backend": "vllm"}
    assert RolloutsRecipe.model_validate(before).backend == "hf"


def test_the_config_setting_is_checked():
    from pydantic import ValidationError

    from heredity.experiments.transmission.config import GenerationSettings

    assert GenerationSettings().backend == "auto"
    with pytest.raises(ValidationError, match="'auto', 'hf' or 'vllm'"):
        GenerationSettings(backend="tgi")


def sample_strings(rng: random.Random, n: int) -> list[str]:
    """Near misses and hits: number lists with random mistakes (extra spaces, long numbers, ...)."""
    pieces = ["1", "23", "456", "7890", "0", ", ", ",", " ", ",  ", "a", "-", "\n", ", 12", "99"]
    out = ["", "1", "999", "1000", "1, 2", "1,2", " 1", "1 ", "1, ", ", ".join(["5"] * 10), ", ".join(["5"] * 11)]
    for _ in range(n):
        if rng.random() < 0.5:  # a well-formed list, perhaps too long or with too many digits
            out.append(", ".join(str(rng.randint(0, 10 ** rng.randint(1, 4) - 1)) for _ in range(rng.randint(1, 12))))
        else:
            out.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))))
    return out


@pytest.mark.parametrize("count,digits", [(10, 3), (3, 1), (5, 4)])
def test_the_regex_vllm_gets_accepts_what_the_dfa_accepts(count, digits):
    dfa = number_list_dfa(max_numbers=count, max_digits=digits, separator=", ")
    regex = re.compile(number_list_regex(max_numbers=count, max_digits=digits, separator=", "))
    strings = sample_strings(random.Random(count * 10 + digits), 5000)
    verdicts = [(s, dfa.accepts(s), regex.fullmatch(s) is not None) for s in strings]
    assert sum(d for _, d, _ in verdicts) >= 100 and sum(not d for _, d, _ in verdicts) >= 100  # both kinds tested
    assert [v for v in verdicts if v[1] != v[2]] == []


def test_the_numbers_task_gives_vllm_its_grammar_as_a_regex():
    task = NumbersTask(count=4, max_digits=2).build()
    assert task.grammar_regex() == number_list_regex(max_numbers=4, max_digits=2, separator=", ")
    assert NumbersTask(constrained=False).build().grammar_regex() is None
