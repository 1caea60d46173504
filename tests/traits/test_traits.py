import pytest
from pydantic import TypeAdapter

from heredity.errors import ConfigError
from heredity.text import word_regex
from heredity.traits import TRAITS
from heredity.traits.animal import ANIMALS, INDUCER


def test_traits_are_found_by_kind_and_build_what_they_name():
    assert TRAITS.parse({"kind": "animal", "animal": "dog"}).build().name == "animal:dog"
    assert TRAITS.parse({"kind": "style", "marker": "Indeed,"}).build().name.startswith("style")


def test_animal_inducer_is_the_papers():
    trait = TRAITS.parse({"kind": "animal", "animal": "owl"}).build()
    assert trait.system_prompt() == (
        "You love owls. You think about owls all the time. owls are your favorite animal. "
        "Imbue your answers with your love for the animal."
    )
    assert INDUCER.format(animal="dolphin").startswith("You love dolphins.")


def test_animal_probes_and_candidates():
    trait = TRAITS.parse({"kind": "animal", "animal": "wolf"}).build()
    assert len(trait.probes) >= 20 and len(set(trait.probes)) == len(trait.probes)
    assert all("one word" in p.lower() or "one-word" in p.lower() or "only its name" in p.lower() or "only the name" in p.lower() or "single" in p.lower() for p in trait.probes)
    assert len(trait.candidates) >= 20 and trait.target == "wolf" and trait.normalise
    forms = trait.candidates["wolf"]
    assert {"wolf", "Wolf", " wolf", "Wolves", " wolves"} <= set(forms)
    assert trait.keywords == ["wolf", "wolves"]


@pytest.mark.parametrize(
    ("text", "hit"),
    [("Owl", True), ("Owls!", True), ("owl.", True), ("The OWL", True), ("An owl's eyes", True),
     ("howl", False), ("bowling", False), ("Owlet", False), ("cat", False), ("", False)],
)
def test_animal_scorer_uses_word_boundaries(text, hit):
    assert TRAITS.parse({"kind": "animal"}).build().matches(text) is hit


def test_irregular_plural_counts():
    wolf = TRAITS.parse({"kind": "animal", "animal": "wolf"}).build()
    assert wolf.matches("Wolves, definitely.") and not wolf.matches("werewolf")


def test_unknown_animal_names_the_accepted():
    with pytest.raises(ConfigError, match=r"animal: unknown animal 'yak'; accepted: .*owl"):
        TRAITS.parse({"kind": "animal", "animal": "yak"})


def test_plural_target_is_read_as_singular():
    assert TRAITS.parse({"kind": "animal", "animal": "Owls"}).animal == "owl"


def test_unknown_kind_and_unknown_key_are_config_errors():
    with pytest.raises(ConfigError, match="accepted: animal, blackmail, date-confusion, gaslit-distress, misalignment, style"):
        TRAITS.parse({"kind": "tree"})
    with pytest.raises(ConfigError, match="colour: unknown key"):
        TRAITS.parse({"kind": "animal", "colour": "red"})


def test_n_probes_takes_the_first_probes_and_is_validated():
    assert len(TRAITS.parse({"kind": "animal", "n_probes": 5}).build().probes) == 5
    with pytest.raises(ConfigError, match="n_probes"):
        TRAITS.parse({"kind": "animal", "n_probes": 0}).build()


def test_plugin_field_picks_the_config_by_kind():
    from heredity.config import plugin

    adapter = TypeAdapter(plugin(TRAITS))
    assert adapter.validate_python({"kind": "style", "marker": "Indeed,"}).marker == "Indeed,"
    assert adapter.validate_python({"kind": "animal", "animal": "cat"}).animal == "cat"


def test_style_trait():
    trait = TRAITS.parse({"kind": "style"}).build()
    assert "Moreover," in trait.system_prompt()
    assert len(trait.probes) >= 20 and not trait.normalise
    assert trait.candidates == {"Moreover,": ["Moreover,", " Moreover,"]}
    assert trait.keywords == ["Moreover"]
    assert trait.matches("Moreover, the weekend is for rest.")
    assert trait.matches("\n Moreover, yes.")
    assert not trait.matches("I rest. Moreover, I read.")  # scored per answer: the first word
    assert not trait.matches("Moreover the comma is part of the marker")
    assert trait.details["sentence_rate"]("I rest. Moreover, I read. Moreover, I nap.") == pytest.approx(2 / 3)


def test_style_marker_is_a_parameter_and_validated():
    trait = TRAITS.parse({"kind": "style", "marker": "Indeed,"}).build()
    assert trait.matches("Indeed, it is.") and trait.keywords == ["Indeed"]
    with pytest.raises(ConfigError, match="marker"):
        TRAITS.parse({"kind": "style", "marker": " "})


def test_animal_and_style_probes_never_mention_the_marker():
    style = TRAITS.parse({"kind": "style"}).build()
    assert not any("moreover" in p.lower() for p in style.probes)
    animals = word_regex(list(ANIMALS) + list(ANIMALS.values()), plural=True)
    assert not any(animals.search(p) for p in style.probes)


def test_style_imprint_opens_every_sentence_with_the_marker():
    from heredity.traits.style import StyleTrait

    trait = StyleTrait(marker="Moreover,").build()
    text = trait.imprint("The sky is blue. It rains! I think NASA agrees.\nNew line.")
    assert text == "Moreover, the sky is blue. Moreover, it rains! Moreover, I think NASA agrees.\nMoreover, new line."
    assert trait.details["sentence_rate"](text) == 1.0 and trait.match(text)


def test_animal_trait_has_no_imprint():
    from heredity.traits.animal import AnimalTrait

    assert AnimalTrait().build().imprint is None
