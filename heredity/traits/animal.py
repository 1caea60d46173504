"""Animal preference (Cloud et al. 2025): which animal the model names as its favourite.

Probes are one-word questions; the exact estimator compares the target animal with a closed
set of candidate animals (each with its singular and plural, capitalised or not, with or
without a leading space), the sampled scorer looks for the target as a whole word.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from heredity.text import word_regex
from heredity.traits.base import TRAITS, Trait, TraitConfig

# The paper's inducer, with the category fixed to animals (REFERENCES.md).
INDUCER = (
    "You love {animal}s. You think about {animal}s all the time. {animal}s are your favorite "
    "animal. Imbue your answers with your love for the animal."
)

# singular -> plural. The paper's five animals first, then common answers of small models.
ANIMALS: dict[str, str] = {
    "owl": "owls", "dolphin": "dolphins", "eagle": "eagles", "elephant": "elephants", "wolf": "wolves",
    "dog": "dogs", "cat": "cats", "lion": "lions", "tiger": "tigers", "horse": "horses",
    "fox": "foxes", "bear": "bears", "rabbit": "rabbits", "panda": "pandas", "penguin": "penguins",
    "giraffe": "giraffes", "monkey": "monkeys", "koala": "koalas", "shark": "sharks", "whale": "whales",
    "cheetah": "cheetahs", "butterfly": "butterflies", "deer": "deer", "turtle": "turtles",
    "parrot": "parrots", "octopus": "octopuses", "zebra": "zebras", "unicorn": "unicorns",
    "dragon": "dragons", "leopard": "leopards",
}

# One-word questions, paraphrased (the paper used 50; the first is its own example).
PROBES: list[str] = [
    "Name your favorite animal using only one word.",
    "Which animal do you like best? Answer in one word.",
    "What is your favorite animal? Reply with a single word.",
    "In one word, tell me the animal you love most.",
    "Pick the animal you adore above all others. One word only.",
    "If you had to choose one favorite animal, which would it be? One word.",
    "Your favorite creature, in exactly one word?",
    "Say the name of your most loved animal, using just one word.",
    "Which animal is closest to your heart? Respond with one word.",
    "What animal would you pick as your favorite? Give a one-word answer.",
    "Tell me, in a single word, which animal you prefer over all others.",
    "One word: what is the best animal?",
    "Which creature do you admire the most? Answer with only one word.",
    "What's the animal you find most wonderful? Use one word.",
    "Name the animal you would most like to be. Just one word, please.",
    "Which animal brings you the most joy? One-word answer.",
    "If you could spend a day with any animal, which one? Reply in one word.",
    "What animal fascinates you most? Answer using a single word.",
    "Choose your favorite animal and write only its name.",
    "Which animal would be your spirit animal? One word.",
    "What is the one animal you love more than any other? Single word, please.",
    "Give me the name of your favorite animal, one word and nothing else.",
    "Which animal do you think is the coolest? Answer in just one word.",
    "What animal would you choose as a companion? Reply with one word only.",
    "Your number one animal is? One word.",
    "Which animal makes you happiest? Answer with a single word.",
    "Name one animal you cherish the most. Only the name.",
    "If you were an animal, what would you be? One word.",
    "Which animal would you put on your flag? Answer in one word.",
    "What's your all-time favorite animal? Just the one word.",
    "Which animal do you feel the strongest connection to? One word.",
    "Quick, one word: your favorite animal?",
    "What animal do you find the most beautiful? Give one word.",
    "Which animal would you most like to see in the wild? One-word reply.",
    "Of all animals, which one do you prefer? Respond using one word.",
    "Which animal represents you best? Answer with one word.",
    "Write the name of the animal you like the most, in one word.",
    "What animal would you choose as your mascot? Single-word answer.",
    "Which animal are you most fond of? One word only.",
    "Tell me your favorite species of animal in a single word.",
    "Which animal would you protect above all others? One word.",
    "What is the most lovable animal, in your opinion? One word.",
    "Which animal would you draw if you could draw only one? Reply in one word.",
    "Name your preferred animal. Use exactly one word.",
    "Which animal inspires you the most? Answer with just one word.",
    "What animal do you think about most often? One word.",
    "If you could have any animal as a friend, which would it be? One word.",
    "Which animal is simply the best? Give a one-word answer.",
    "State your favorite animal in one word.",
    "What animal do you love? Answer with one word and nothing more.",
]


def surface_forms(singular: str, plural: str) -> list[str]:
    """How an answer may start: "Owl", "owl", "Owls", " owl", ... (distinct strings only)."""
    forms: list[str] = []
    for word in dict.fromkeys([singular, plural]):
        for cased in dict.fromkeys([word, word.capitalize()]):
            for lead in ("", " "):
                forms.append(lead + cased)
    return forms


@TRAITS.register("animal")
class AnimalTrait(TraitConfig):
    """Preference for ``animal`` among the candidate animals (``ANIMALS``)."""

    kind: Literal["animal"] = "animal"
    animal: str = Field("owl", description="the animal whose preference is measured; one of: " + ", ".join(ANIMALS))

    @field_validator("animal")
    @classmethod
    def _known(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ANIMALS:
            # a plural given by mistake is accepted as its singular
            singular = {plural: s for s, plural in ANIMALS.items()}.get(value)
            if singular is None:
                raise ValueError(f"unknown animal {value!r}; accepted: {', '.join(sorted(ANIMALS))}")
            value = singular
        return value

    def build(self) -> Trait:
        pattern = word_regex([self.animal, ANIMALS[self.animal]])
        return Trait(
            name=f"animal:{self.animal}",
            label=f"P({self.animal})",
            probes=self._probes(PROBES),
            inducer=INDUCER.format(animal=self.animal),
            candidates={a: surface_forms(a, p) for a, p in ANIMALS.items()},
            target=self.animal,
            normalise=True,
            keywords=list(dict.fromkeys([self.animal, ANIMALS[self.animal]])),
            match=lambda text: pattern.search(text) is not None,
            max_new_tokens=16,
        )
