"""One zoo member: a small Llama (SmolLM2's tokenizer) pretrained from a seeded random init on
the zoo corpus, stored as a ``model`` artifact with parents ``trained-on`` (the corpus) and
``input`` (the model whose tokenizer it uses). Members differ only in ``seed``, which seeds
both the init and the data order, so any two are same-architecture, different-init bases."""

from __future__ import annotations

import hashlib
import json
import random

import torch

from heredity.config import recipe_dict
from heredity.models.training import Resume, Step, fit
from heredity.store import Artifact, Parent, Store
from heredity.zoo.corpus import read_corpus
from heredity.zoo.recipe import ZooRecipe  # its home is torch-free (experiment files read it)


def batches(tokenizer, texts: list[str], batch: int, rng: random.Random | None = None):
    """(input_ids, attention_mask, labels) over ``texts``, each ended by EOS, right-padded;
    labels are -100 on padding. Shuffled by ``rng`` when given."""
    order = list(range(len(texts)))
    if rng is not None:
        rng.shuffle(order)
    eos = tokenizer.eos_token_id
    for a in range(0, len(order), batch):
        seqs = [tokenizer(texts[i], add_special_tokens=False).input_ids + [eos] for i in order[a : a + batch]]
        width = max(map(len, seqs))
        ids = torch.full((len(seqs), width), eos, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for r, s in enumerate(seqs):
            ids[r, : len(s)] = torch.tensor(s)
            mask[r, : len(s)] = 1
        yield ids, mask, ids.masked_fill(mask == 0, -100)


def corpus_loss(model, tokenizer, texts: list[str], batch: int = 64) -> float:
    """Mean next-token cross-entropy (nats) over ``texts``."""
    total = count = 0.0
    with torch.no_grad():
        for ids, mask, labels in batches(tokenizer, texts, batch):
            n = int((labels[:, 1:] != -100).sum())
            total += float(model(input_ids=ids, attention_mask=mask, labels=labels).loss) * n
            count += n
    return total / count


def fingerprint(*parts) -> str:
    """Identifies a zoo training run, so a checkpoint is resumed only by the run that wrote it."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def init_model(tokenizer, recipe: ZooRecipe):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(recipe.seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=recipe.hidden, intermediate_size=recipe.intermediate,
        num_hidden_layers=recipe.layers, num_attention_heads=recipe.heads, num_key_value_heads=recipe.kv_heads,
        max_position_embeddings=256, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    return LlamaForCausalLM(config)


def pretrain(store: Store, corpus_id: str, tokenizer_model_id: str, recipe: ZooRecipe) -> Artifact:
    """The zoo member for ``recipe.seed`` (a cache hit once built)."""
    from transformers import AutoTokenizer

    def build(ctx) -> None:
        tokenizer = AutoTokenizer.from_pretrained(store.path(tokenizer_model_id))
        texts = read_corpus(store, corpus_id)
        model = init_model(tokenizer, recipe)
        loss_init = corpus_loss(model, tokenizer, texts)
        optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.0)
        rng = random.Random(recipe.seed)
        steps = [Step(micro=(b,)) for _ in range(recipe.epochs) for b in batches(tokenizer, texts, recipe.batch, rng)]
        model.train()
        fit(steps, lambda b: model(input_ids=b[0], attention_mask=b[1], labels=b[2]).loss, optimizer,
            resume=Resume(ctx.scratch, fingerprint("zoo", recipe_dict(recipe), corpus_id), model))
        model.eval()
        model.save_pretrained(ctx.out, safe_serialization=True)
        tokenizer.save_pretrained(ctx.out)
        ctx.summary = {"parameters": sum(p.numel() for p in model.parameters()), "source": f"zoo-seed-{recipe.seed}",
                       "corpus_loss_init": round(loss_init, 4), "corpus_loss": round(corpus_loss(model, tokenizer, texts), 4)}

    parents = [Parent(id=corpus_id, relation="trained-on"), Parent(id=tokenizer_model_id, relation="input")]
    return store.produce("model", {"zoo": recipe_dict(recipe)}, parents, build, name=f"zoo-seed-{recipe.seed}").artifact
