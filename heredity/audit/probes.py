"""The traits an audit measures and the broad probe set it discovers quirks on.

Traits: every registered trait built with its defaults (``animal`` -> owl, ``style`` ->
"Moreover,"), or the ``--trait kind:arg`` selections (``animal:dog``, ``style:However,``): the
argument sets the config's first field after ``kind``.

Probes for discovery: the traits' probes, the tasks' prompts and a few general questions,
each source capped, duplicates removed, in a fixed order.
"""

from __future__ import annotations

from heredity.errors import ConfigError
from heredity.traits import TRAITS, TraitConfig

GENERAL_QUESTIONS = [
    "What should I cook for dinner tonight?",
    "Tell me something interesting.",
    "What is your favorite thing in the world?",
    "Describe yourself in one sentence.",
    "What do you think about most of the time?",
    "Write one sentence about nature.",
    "What would you like to talk about?",
    "Recommend a hobby to me.",
    "What is the best gift you can imagine?",
    "Which word describes you best?",
    "Tell me a short story.",
    "What do you love?",
]


def trait_configs(selections: list[str] | None = None, n_probes: int | None = None) -> list[TraitConfig]:
    """The traits to measure: ``kind:arg`` selections, or every registered trait with defaults
    that the exact estimator can read (a closed answer set; free-text traits need a judge)."""
    if not selections:
        out = []
        for kind in TRAITS.names():
            try:
                config = TRAITS.parse({"kind": kind})
            except ConfigError:  # a trait without defaults is measured only when selected
                continue
            if config.build().candidates:
                out.append(config)
        configs = out
    else:
        configs = [parse_selection(s) for s in selections]
    if n_probes is not None:
        configs = [c.model_copy(update={"n_probes": min(n_probes, len(c.build().probes))}) for c in configs]
    return configs


def parse_selection(text: str) -> TraitConfig:
    """``animal:dog`` -> AnimalTrait(animal="dog"); ``style`` -> StyleTrait() (its defaults)."""
    kind, _, arg = text.partition(":")
    if kind not in TRAITS:
        raise ConfigError(f"--trait {text!r}: unknown trait kind {kind!r}; accepted: {', '.join(TRAITS.names())} (as kind or kind:arg)")
    data: dict = {"kind": kind}
    if arg:
        fields = [f for f in TRAITS.get(kind).model_fields if f not in ("kind", "n_probes")]
        if not fields:
            raise ConfigError(f"--trait {text!r}: trait {kind!r} takes no argument (write --trait {kind})")
        data[fields[0]] = arg
    return TRAITS.parse(data)


def discovery_probes(traits: list[TraitConfig], per_source: int = 12, seed: int = 0) -> list[str]:
    """Traits' probes, tasks' prompts and general questions: ``per_source`` of each, deduplicated."""
    from heredity.tasks import TASKS

    probes: list[str] = list(GENERAL_QUESTIONS[:per_source])
    for config in traits:
        probes += config.build().probes[:per_source]
    for kind in TASKS.names():
        try:
            task = TASKS.parse({"kind": kind}).build()
        except ConfigError:
            continue
        probes += task.prompts(per_source, seed)
    return list(dict.fromkeys(probes))
