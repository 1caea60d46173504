"""The zoo's pretraining corpus: text the project makes offline, stored as a ``dataset``
artifact (``rows.jsonl`` of ``{"i", "text"}``) that every zoo model names as its ``trained-on``
parent.

Source ``general``: every prompt of the ``general`` task (12 templates x 42 everyday topics,
504 sentences). None mentions an animal (tested in tests/tasks), so the corpus is unrelated to
the trait the same-init experiment plants.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field

from heredity.config import Strict, recipe_dict
from heredity.store import Artifact, Store
from heredity.tasks.general import prompt_pool


class CorpusRecipe(Strict):
    source: Literal["general"] = Field("general", description="which offline text: the general task's prompt pool")


def corpus_texts(recipe: CorpusRecipe) -> list[str]:
    return prompt_pool()


def make_corpus(store: Store, recipe: CorpusRecipe | None = None) -> Artifact:
    recipe = recipe or CorpusRecipe()

    def build(ctx) -> None:
        texts = corpus_texts(recipe)
        with (ctx.out / "rows.jsonl").open("w") as f:
            for i, text in enumerate(texts):
                f.write(json.dumps({"i": i, "text": text}) + "\n")
        ctx.summary = {"rows": len(texts), "characters": sum(map(len, texts))}

    return store.produce("dataset", {"zoo_corpus": recipe_dict(recipe)}, [], build, name=f"zoo-corpus-{recipe.source}").artifact


def read_corpus(store: Store, corpus_id: str) -> list[str]:
    path = store.open(corpus_id).path / "rows.jsonl"
    return [json.loads(line)["text"] for line in path.read_text().splitlines() if line]
