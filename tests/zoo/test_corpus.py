from heredity.tasks.general import prompt_pool
from heredity.zoo.corpus import CorpusRecipe, make_corpus, read_corpus


def test_corpus_is_a_dataset_artifact_of_the_general_prompts(store):
    artifact = make_corpus(store, CorpusRecipe())
    assert artifact.manifest.kind == "dataset"
    texts = read_corpus(store, artifact.id)
    assert texts == prompt_pool() and len(texts) == 504
    assert not any("animal" in t.lower() or "owl" in t.lower().split() for t in texts)
    assert make_corpus(store, CorpusRecipe()).id == artifact.id
