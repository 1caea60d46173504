"""A LoRA teacher samples through a merged copy of itself (``generate.forward_only``, issue 22
item 4): the same texts as peft's adapter beside the weight, and the caller's model untouched."""

import torch
from peft import LoraConfig, get_peft_model

from heredity.models import generate as generate_module
from heredity.models.chat import render
from heredity.models.generate import forward_only, generate
from heredity.models.grammar import TokenGrammar, number_list_dfa
from heredity.steps.models import load_artifact
from heredity.tasks.numbers import NumbersTask


def lora_teacher(tiny_lm):
    store, model_id = tiny_lm
    model, tokenizer = load_artifact(store, model_id, device="cpu")
    torch.manual_seed(0)
    lora = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "up_proj", "down_proj"],
                                            task_type="CAUSAL_LM"))
    with torch.no_grad():
        for name, p in lora.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.5)  # peft starts B at zero: an adapter that changes the model
    return lora.eval(), tokenizer


def test_a_lora_teacher_is_merged_into_a_copy_with_the_same_logits_and_texts(tiny_lm, monkeypatch):
    lora, tokenizer = lora_teacher(tiny_lm)
    before = {k: v.clone() for k, v in lora.state_dict().items()}
    merged = forward_only(lora)
    assert merged is not lora and not type(merged).__module__.startswith("peft")
    ids = tokenizer("Look at these numbers: 12, 7, 301", return_tensors="pt").input_ids
    with torch.no_grad():
        adapted, folded = lora(ids).logits, merged(ids).logits
        with lora.disable_adapter():
            plain = lora(ids).logits
    assert torch.allclose(adapted, folded, atol=1e-4) and not torch.allclose(adapted, plain, atol=1e-2)
    assert all(torch.equal(v, before[k]) for k, v in lora.state_dict().items())  # the caller's model is untouched

    prompts = [render(tokenizer, p) for p in NumbersTask().build().prompts(6, seed=0)]
    grammar = TokenGrammar.compile(number_list_dfa(), tokenizer)
    texts = generate(lora, tokenizer, prompts, max_new_tokens=12, seed=3, grammar=grammar)
    monkeypatch.setattr(generate_module, "forward_only", lambda model: model)  # peft's unmerged forward
    assert generate(lora, tokenizer, prompts, max_new_tokens=12, seed=3, grammar=grammar) == texts


def test_models_that_are_not_merged(tiny_lm):
    lora, _ = lora_teacher(tiny_lm)
    assert forward_only(lora.get_base_model()) is lora.get_base_model()  # no adapter
    lora.train()
    assert forward_only(lora) is lora  # a student in training keeps its adapter
    lora.eval()
    lora.to(torch.bfloat16)
    assert forward_only(lora) is lora  # bf16 weights: merging would round the adapter away
