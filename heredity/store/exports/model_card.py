"""A Hugging Face model card (README.md): YAML front matter the Hub reads, then the lineage.

The Hub's metadata has ``base_model`` and ``base_model_relation`` but no teacher field, so the
teacher, its inducer and the filters are written in the card's text (and in ``heredity`` keys).
"""

from __future__ import annotations

from typing import Any

import yaml

from heredity.store.exports.pedigree import Pedigree, describe_filter, display_name
from heredity.store.integrity import content_digest
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


def front_matter(p: Pedigree) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if p.base is not None:
        meta["base_model"] = hub_name(p.base)
        meta["base_model_relation"] = p.base_relation
    if p.data:
        meta["datasets"] = [line.dataset.id for line in p.data]
    tags = ["heredity", f"heredity-{p.subject.kind}"]
    train = p.subject.recipe.get("train") if isinstance(p.subject.recipe.get("train"), dict) else {}
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
        "teachers": sorted({line.teacher.id for line in p.data if line.teacher} | {t.id for t in p.teachers}),
    }
    return meta


def _lineage_section(p: Pedigree) -> list[str]:
    out = ["## Lineage", ""]
    if p.base is not None:
        out.append(f"- **Base model**: {display_name(p.base)} (`{p.base.id}`), relation `{p.base_relation}`")
    else:
        out.append("- **Base model**: none (this is a base model)")
    for line in p.data:
        out.append(f"- **Trained on**: {display_name(line.dataset)} (`{line.dataset.id}`)")
        if line.teacher is not None:
            out.append(f"  - **Teacher**: {display_name(line.teacher)} (`{line.teacher.id}`)")
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
        out.append(f"- **Distilled from teacher**: {display_name(t)} (`{t.id}`)")
    if p.missing:
        out.append(f"- **Missing from the store**: {', '.join(f'`{m}`' for m in p.missing)}")
    return out


def _settings_section(p: Pedigree) -> list[str]:
    train = p.subject.recipe.get("train") if isinstance(p.subject.recipe.get("train"), dict) else None
    settings = train or p.subject.recipe
    out = ["", "## Training settings" if train else "## Recipe", "", "| setting | value |", "| --- | --- |"]
    out += [f"| {k} | `{v}` |" for k, v in sorted(settings.items())]
    return out


def _evaluation_section(p: Pedigree) -> list[str]:
    if not p.evaluations:
        return []
    out = ["", "## Evaluations", "", "| scores | trait | p | 95% CI | n |", "| --- | --- | --- | --- | --- |"]
    for s in p.evaluations:
        trait = s.recipe.get("trait")
        label = ", ".join(f"{k}={v}" for k, v in sorted(trait.items())) if isinstance(trait, dict) else str(trait)
        out.append(f"| `{s.id}` | {label} | {s.summary.get('p', '')} | {s.summary.get('ci', '')} | {s.summary.get('n', '')} |")
    return out


def render(p: Pedigree) -> str:
    meta = yaml.safe_dump(front_matter(p), sort_keys=False, allow_unicode=True)
    body = [f"# {display_name(p.subject)}", "", f"A `{p.subject.kind}` artifact of the heredity store, id `{p.subject.id}`.",
            "Its files are listed with SHA-256 hashes below; `heredity verify` re-checks them.", ""]
    body += _lineage_section(p) + _settings_section(p) + _evaluation_section(p)
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
