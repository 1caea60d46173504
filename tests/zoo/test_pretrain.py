"""Zoo members: seeded, cached, trained on the corpus, with the corpus as a parent."""

import pytest
import torch

from heredity.steps.models import load_artifact
from heredity.zoo.corpus import make_corpus
from heredity.zoo.pretrain import ZooRecipe, pretrain

FAST = {"epochs": 1, "batch": 64}


@pytest.fixture(scope="module")
def zoo(smollm):
    store, smol_id = smollm
    corpus = make_corpus(store)
    members = {s: pretrain(store, corpus.id, smol_id, ZooRecipe(seed=s, **FAST)) for s in (0, 1)}
    return store, smol_id, corpus, members


def test_members_are_model_artifacts_trained_on_the_corpus(zoo):
    _, smol_id, corpus, members = zoo
    for artifact in members.values():
        assert artifact.manifest.kind == "model"
        relations = {(p.relation, p.id) for p in artifact.manifest.parents}
        assert relations == {("trained-on", corpus.id), ("input", smol_id)}
        summary = artifact.manifest.summary
        assert summary["corpus_loss"] < summary["corpus_loss_init"] - 1.0  # it learned the corpus


def test_seeds_give_different_inits_and_a_seed_is_reproducible(zoo):
    store, smol_id, corpus, members = zoo
    a, _ = load_artifact(store, members[0].id, device="cpu")
    b, _ = load_artifact(store, members[1].id, device="cpu")
    assert a.config.num_hidden_layers == b.config.num_hidden_layers == 2
    assert not torch.equal(a.model.layers[0].mlp.up_proj.weight, b.model.layers[0].mlp.up_proj.weight)
    again = pretrain(store, corpus.id, smol_id, ZooRecipe(seed=0, **FAST))
    assert again.id == members[0].id
