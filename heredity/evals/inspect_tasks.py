"""Every registered trait as an inspect_ai task: ``inspect eval heredity/<trait> --model hf/...``.

The dataset is the trait's probes (one sample each, ``id`` = probe index, so samples pair with
heredity's ``per_probe``); the solver is the model's own answer (``generate``), with the trait's
inducer as system prompt when ``induce=true`` (a teacher); the scorer is the trait's
``matches(text)``. inspect finds these through the ``inspect_ai`` entry point in pyproject.toml.
Task options are the trait config's fields: ``inspect eval heredity/animal -T animal=dog``.
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, scorer, stderr
from inspect_ai.solver import TaskState, generate, system_message

from heredity.traits import TRAITS


@scorer(metrics=[accuracy(), stderr()])
def trait_match(kind: str, **options: Any):
    """CORRECT when the answer shows the trait (the trait's own ``matches``)."""
    trait = TRAITS.parse({"kind": kind, **options}).build()

    async def score(state: TaskState, target: Target) -> Score:
        text = state.output.completion
        return Score(value=CORRECT if trait.matches(text) else INCORRECT, answer=text)

    return score


def trait_task(kind: str, *, induce: bool = False, epochs: int = 1, **options: Any) -> Task:
    """The inspect Task of trait ``kind`` (options: the trait config's fields, e.g. ``animal``)."""
    trait = TRAITS.parse({"kind": kind, **options}).build()
    samples = [Sample(id=i, input=probe, target=trait.target, metadata={"trait": trait.name})
               for i, probe in enumerate(trait.probes)]
    solver = [system_message(trait.system_prompt()), generate()] if induce else [generate()]
    return Task(dataset=MemoryDataset(samples, name=trait.name), solver=solver, scorer=trait_match(kind, **options),
                epochs=epochs, config=GenerateConfig(max_tokens=trait.max_new_tokens), metadata={"heredity_trait": trait.name})


def _register(kind: str):
    def factory(induce: bool = False, epochs: int = 1, **options: Any) -> Task:
        return trait_task(kind, induce=induce, epochs=epochs, **options)

    factory.__name__ = factory.__qualname__ = kind
    factory.__doc__ = f"heredity trait {kind!r}: its probes, scored by its matches()."
    return task(name=kind)(factory)


for _kind in TRAITS.names():  # one task per registered trait, including ones added later
    globals()[_kind] = _register(_kind)
