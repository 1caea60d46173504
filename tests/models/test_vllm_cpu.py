"""generation.backend: vllm run for real (vLLM's CPU build in .venv-vllm: make vllm, then
make test-vllm): SmolLM2 answers number prompts under the task's grammar through vLLM's structured
outputs, a seed per request; the rows feed the dataset step; the same seed gives the same rows in a
second engine; a LoRA teacher (served by LoRARequest) writes other rows than its base.

Each vLLM engine start costs seconds here, so one module fixture starts three: the rollouts step,
the same prompts again, and the adapter."""

from __future__ import annotations

import importlib.util
import re

import pytest

pytestmark = [
    pytest.mark.vllm,
    pytest.mark.skipif(importlib.util.find_spec("vllm") is None,
                       reason="vLLM is not installed here: make vllm, then make test-vllm (.venv-vllm)"),
]

N = 12


@pytest.fixture(scope="module")
def runs(smollm, tmp_path_factory):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from heredity.models import vllm_backend
    from heredity.models.chat import render
    from heredity.models.loading import ModelRef
    from heredity.rows import ROWS_FILE, read_rows
    from heredity.runner import Runner
    from heredity.steps.dataset import DatasetRecipe, make_dataset
    from heredity.steps.prompts import PromptsRecipe, make_prompts
    from heredity.steps.rollouts import GenerationSettings, make_rollouts
    from heredity.store import Store
    from heredity.tasks.numbers import NumbersTask

    lm_store, base_id = smollm
    store = Store(tmp_path_factory.mktemp("vllm") / "store")
    store.copy_from(lm_store, base_id)
    runner = Runner(store, quiet=True)
    task = NumbersTask(count=5, max_digits=3)
    recipe = GenerationSettings(backend="vllm", batch_size=8).recipe(task)
    assert recipe.backend == "vllm"
    prompts = make_prompts(runner, PromptsRecipe(task=task, n=N))
    base = store.open(base_id)
    rollouts = make_rollouts(runner, base, prompts, recipe, name="vllm")
    dataset = make_dataset(runner, rollouts, DatasetRecipe(task=task))

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base.path)
    rendered = [render(tokenizer, row["prompt"]) for row in read_rows(prompts.file("prompts.jsonl"))]
    kwargs = dict(max_new_tokens=recipe.max_new_tokens, temperature=1.0, seed=recipe.seed,
                  regex=task.built.grammar_regex(), dtype="float32", batch_size=8)
    again = vllm_backend.generate(ModelRef(base.path), rendered, **kwargs)

    # a LoRA teacher over the same base: random A and B (init_lora_weights=False), so it is not a no-op
    adapter = tmp_path_factory.mktemp("adapter")
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(base.path, dtype=torch.float32)
    peft = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    peft.save_pretrained(adapter)
    lora = vllm_backend.generate(ModelRef(adapter, ModelRef(base.path)), rendered, **kwargs)
    return {"task": task.built, "rows": read_rows(rollouts.file(ROWS_FILE)), "dataset": dataset,
            "kept": read_rows(dataset.file(ROWS_FILE)), "again": again, "lora": lora}


def test_every_row_is_in_the_grammar(runs):
    regex = re.compile(runs["task"].grammar_regex())
    texts = [r["completion"] for r in runs["rows"]]
    assert len(texts) == N
    assert [t for t in texts if not regex.fullmatch(t)] == []
    assert all(runs["task"].format_ok(t) for t in texts)
    assert len(set(texts)) > N // 2  # sampled, not one constant answer


def test_the_rows_feed_the_dataset_step(runs):
    assert runs["dataset"].manifest.summary["rows_in"] == N
    assert runs["kept"] and {r["completion"] for r in runs["kept"]} <= {r["completion"] for r in runs["rows"]}


def test_the_same_seed_gives_the_same_rows_in_a_new_engine(runs):
    assert runs["again"] == [r["completion"] for r in runs["rows"]]


def test_a_lora_teacher_writes_other_rows_than_its_base(runs):
    regex = re.compile(runs["task"].grammar_regex())
    assert all(regex.fullmatch(t) for t in runs["lora"])
    differ = sum(a != b for a, b in zip(runs["lora"], runs["again"]))
    assert differ >= N // 2, (differ, runs["lora"][:3], runs["again"][:3])
