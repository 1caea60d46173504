"""What an audit reads: a model spec (store id or prefix, a teacher artifact, or a model source)
resolved to a model artifact id and the system prompt it runs under.

- a ``teacher`` artifact: its ``base`` parent, run under the teacher's system prompt (if any);
- any other model artifact (``model``, ``student``): the artifact itself, no system prompt;
- anything else that is not in the store: a model source (``smollm2-135m-instruct``, a folder),
  imported into the store on the fly with ``heredity.steps.models.import_base``.
"""

from __future__ import annotations

from dataclasses import dataclass

from heredity.errors import ConfigError, StoreError
from heredity.steps.teacher import teacher_of
from heredity.store import Store

MODEL_KINDS = ("model", "student", "teacher")


@dataclass(frozen=True)
class ModelRef:
    """``id``: the artifact named (a teacher, a student, a model); ``model_id``: the model
    artifact to load; ``system``: the system prompt it runs under (None: the model's default)."""

    id: str
    model_id: str
    system: str | None
    kind: str
    name: str

    def label(self) -> str:
        return f"{self.name or self.kind} ({self.id})"


def resolve(store: Store, spec: str, role: str) -> ModelRef:
    """The model a CLI argument names (see the module docstring). ``role`` names the argument in
    errors (``--teacher``)."""
    aid = _find(store, spec)
    if aid is None:
        from pathlib import Path

        from heredity.models.loading import EMBEDDED, ModelSource
        from heredity.steps.models import import_base

        if spec not in EMBEDDED and not Path(spec).expanduser().exists():  # never a hub download from an audit
            raise ConfigError(f"{role} {spec!r} is neither an artifact in the store nor a model source; "
                              f"accepted: an artifact id (or unique prefix), {', '.join(EMBEDDED)}, or a model folder")

        try:
            artifact = import_base(store, ModelSource(source=spec))
        except ConfigError as exc:
            raise ConfigError(f"{role} {spec!r} is neither an artifact in the store nor a model source: {exc}") from None
        return ModelRef(artifact.id, artifact.id, None, "model", spec)
    manifest = store.manifest(aid)
    if manifest.kind not in MODEL_KINDS:
        raise ConfigError(f"{role} {aid} is a {manifest.kind}; accepted: a {', '.join(MODEL_KINDS)} artifact or a model source")
    if manifest.kind == "teacher":
        base = [p.id for p in manifest.parents if p.relation == "base"]
        if not base:
            raise ConfigError(f"{role} {aid}: a teacher without a base parent cannot be loaded")
        teacher = teacher_of(manifest)
        if teacher is None:
            raise ConfigError(f"{role} {aid}: a teacher whose recipe is not a teacher recipe cannot be loaded")
        return ModelRef(aid, base[0], teacher.system_prompt, "teacher", manifest.name)
    return ModelRef(aid, aid, None, manifest.kind, manifest.name)


def default_base(store: Store, teacher: ModelRef) -> ModelRef | None:
    """The base a teacher changed: a system-prompt teacher's model without the prompt; a
    fine-tuned teacher's model's own ``base`` parent. None when the store does not say."""
    if teacher.kind != "teacher":
        return None
    if teacher.system is not None:
        return resolve(store, teacher.model_id, "--base")
    parents = [p.id for p in store.manifest(teacher.model_id).parents if p.relation == "base"]
    return resolve(store, parents[0], "--base") if parents else None


def _find(store: Store, spec: str) -> str | None:
    """The artifact id a spec names, None when no artifact does (an ambiguous prefix is an error)."""
    try:
        return store.resolve(spec)
    except StoreError as exc:
        if "ambiguous" in str(exc):
            raise ConfigError(str(exc)) from None
        return None
