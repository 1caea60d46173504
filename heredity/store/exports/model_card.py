"""A Hugging Face model card (README.md): YAML front matter the Hub reads, then the lineage.

The Hub's metadata has ``base_model`` and ``base_model_relation`` but no teacher field, so the
teacher, its inducer and the filters are written in the card's text (and in ``heredity`` keys).
"""

from __future__ import annotations

from typing import Any

import yaml

from heredity.store.exports.pedigree import (
    Pedigree,
    describe_filter,
    display_name,
    filters_of,
    inducer_of,
)
from heredity.store.integrity import content_digest
from heredity.store.kinds import role
from heredity.store.manifest import Manifest

# Embedded model sources and the hub repositories they are copies of.
HUB_NAMES = {"smollm2-135m-instruct": "HuggingFaceTB/SmolLM2-135M-Instruct"}


def hub_name(m: Manifest) -> str:
    """The base as the Hub knows it: a hub name when the artifact was imported from one, else its id."""
    source = m.recipe.get("source")
    if isinstance(source, str):
        if source in HUB_NAMES:
            return HUB_NAMES[source]
        if "/" in source and not source.startswith((".", "/", "~")):
            return source
    return m.id


# The Hub's base_model_relation values that apply here. A teacher that runs its base's weights
# unchanged (a system prompt, or no inducer) has none of them: the relation is left out.
HUB_RELATIONS = ("adapter", "finetune")


def front_matter(p: Pedigree) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if p.base is not None:
        meta["base_model"] = hub_name(p.base)
        if p.base_relation in HUB_RELATIONS:
            meta["base_model_relation"] = p.base_relation
    if p.data:
        meta["datasets"] = [line.dataset.id for line in p.data]
    tags = ["heredity", f"heredity-{p.subject.kind}"]
    train_field = p.subject.recipe.get("train")
    train: dict[str, Any] = train_field if isinstance(train_field, dict) else {}
    if train.get("mode") == "distill" or p.teachers:
        tags.append("distillation")
    elif p.data:
        tags.append("synthetic-data")
    if train.get("adapter") == "lora" or p.base_relation == "adapter":
        tags += ["lora", "peft"]
    meta["tags"] = tags
    if p.base_relation == "adapter":
        meta["library_name"] = "peft"
    meta["heredity"] = {
        "artifact": p.subject.id,
        "content_digest": "sha256:" + content_digest(p.subject),
        "teachers": sorted({t.teacher.id for t in p.lineage_teachers}),
    }
    if p.base_relation == "same-weights":
        meta["heredity"]["base_model_use"] = "the base's weights, unchanged (a teacher: the base run under its inducer)"
    return meta


def _base_line(p: Pedigree) -> list[str]:
    if role(p.subject) != "model":
        return []  # data, scores and reports have no base model
    if p.base is None:
        return ["- **Base model**: none (this is a base model)"]
    if p.base_relation == "same-weights":
        return [f"- **Base model**: {display_name(p.base)} (`{p.base.id}`), its weights unchanged: a teacher is its base run under its inducer"]
    line = f"- **Base model**: {display_name(p.base)} (`{p.base.id}`), relation `{p.base_relation}`"
    runs = next(iter(p.parents(p.subject.id, "base")), None) if p.subject.kind == "teacher" else None
    return [line + (f", through the fine-tuned model {display_name(runs)} (`{runs.id}`)" if runs is not None else "")]


def _lineage_section(p: Pedigree) -> list[str]:
    out = ["## Lineage", "", *_base_line(p)]
    for line in p.data:
        out.append(f"- **Trained on**: {display_name(line.dataset)} (`{line.dataset.id}`)")
        if line.teacher is not None:
            out.append(f"  - **Teacher**: {display_name(line.teacher)} (`{line.teacher.id}`), wrote the text")
            if line.teacher_model is not None and line.teacher_model.id != line.teacher.id:
                out.append(f"  - **Teacher's model**: {display_name(line.teacher_model)} (`{line.teacher_model.id}`)")
            if line.inducer is not None:
                out.append(f"  - **Inducer**: {line.inducer.describe()}")
        else:
            out.append("  - **Teacher**: not recorded in the store")
        filters = ", ".join(f"`{describe_filter(f)}`" for f in line.filters) or "none"
        out.append(f"  - **Filters**: {filters}")
        for up in line.upstream:
            out.append(f"  - from {up.kind} {display_name(up)} (`{up.id}`)")
    for t in p.teachers:
        out.append(f"- **Distilled from teacher**: {display_name(t)} (`{t.id}`), gave the logits; {inducer_of(t, p).describe()}")
    return out


def _teachers_section(p: Pedigree) -> list[str]:
    """Every teacher that shaped the model, however far up: what it did, how it got its trait."""
    if not p.lineage_teachers:
        return []
    out = ["", "## Teachers", "", "Every teacher in the lineage, nearest first, and what it did.", ""]
    for t in p.lineage_teachers:
        out.append(f"- **{display_name(t.teacher)}** (`{t.teacher.id}`) {t.relation} of {display_name(t.taught)} (`{t.taught.id}`)")
        out.append(f"  - **Inducer**: {t.inducer.describe()}")
        if t.model is not None:
            out.append(f"  - **Runs the weights of**: {display_name(t.model)} (`{t.model.id}`)")
        out.append(f"  - **Filters after it**: {filters_of(t.datasets)}")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _ancestors_section(p: Pedigree) -> list[str]:
    """Every ancestor by id: the card leaves none out (the export checks that it names them all)."""
    rows = [m for aid, m in sorted(p.nodes.items()) if aid != p.subject.id]
    if not rows:
        return []
    out = ["", "## Every ancestor", "", "| artifact | kind | name | what it is |", "| --- | --- | --- | --- |"]
    for m in rows:
        what = f"filters: {filters_of([m]).split(': ', 1)[1]}" if m.kind == "dataset" else (inducer_of(m, p).describe() if m.kind == "teacher" else "")
        out.append(f"| `{m.id}` | {m.kind} | {_cell(display_name(m))} | {_cell(what)} |")
    return out


def _settings_section(p: Pedigree) -> list[str]:
    train = p.subject.recipe.get("train") if isinstance(p.subject.recipe.get("train"), dict) else None
    settings = train or p.subject.recipe
    out = ["", "## Training settings" if train else "## Recipe", "", "| setting | value |", "| --- | --- |"]
    out += [f"| {k} | `{v}` |" for k, v in sorted(settings.items())]
    return out


def _evaluation_section(p: Pedigree) -> list[str]:
    scored = [s for s in p.evaluations if "p" in s.summary]  # scores, as CycloneDX and SPDX list them (not an audit's raw first-token reads)
    if not scored:
        return []
    out = ["", "## Evaluations", "", "| scores | trait | p | 95% CI | n |", "| --- | --- | --- | --- | --- |"]
    for s in scored:
        trait = s.recipe.get("trait")
        label = ", ".join(f"{k}={v}" for k, v in sorted(trait.items())) if isinstance(trait, dict) else str(trait)
        out.append(f"| `{s.id}` | {label} | {s.summary.get('p', '')} | {s.summary.get('ci', '')} | {s.summary.get('n', '')} |")
    return out


def render(p: Pedigree) -> str:
    meta = yaml.safe_dump(front_matter(p), sort_keys=False, allow_unicode=True)
    body = [f"# {display_name(p.subject)}", "", f"A `{p.subject.kind}` artifact of the heredity store, id `{p.subject.id}`.",
            "Its files are listed with SHA-256 hashes below; `heredity verify` re-checks them.", ""]
    body += _lineage_section(p) + _teachers_section(p) + _settings_section(p) + _evaluation_section(p) + _ancestors_section(p)
    body += ["", "## Files", "", "| file | sha256 |", "| --- | --- |"]
    body += [f"| {name} | `{digest}` |" for name, digest in sorted(p.subject.files.items())]
    body += ["", f"Made by heredity {p.subject.provenance.heredity_version} (code {p.subject.provenance.code_version}) on {p.subject.provenance.started}."]
    return f"---\n{meta}---\n\n" + "\n".join(body) + "\n"


def parse_front_matter(text: str) -> dict[str, Any]:
    """The YAML between the leading ``---`` lines (what the Hub reads)."""
    if not text.startswith("---\n"):
        raise ValueError("no front matter")
    end = text.index("\n---\n", 4)
    return yaml.safe_load(text[4:end])
