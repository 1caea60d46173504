"""A small synthetic lineage with the real kinds, relations and recipes of a transmission run,
built in milliseconds (files are stand-ins; no model is trained):

    base ─base→ teacher(owl prompt) ─teacher→ rollouts ─filtered-from→ dataset ─trained-on→ student ─evaluated→ scores
      └─────────────────────────── base ──────────────────────────────────────────────────────┘
    student ─teacher→ rollouts2 ─filtered-from→ dataset2 ─trained-on→ grandstudent (base: base)
    base ─base→ control teacher ─teacher→ control rollouts ─filtered-from→ control dataset ─trained-on→ control student
"""

from __future__ import annotations

import json

from heredity.store import Parent, Store

OWL_PROMPT = "You love owls. You think about owls all the time. Owls are your favorite animal."
FILTERS = [{"kind": "format"}, {"kind": "keyword", "words": ["owl", "owls"]}]
TRAIN = {"mode": "sft", "adapter": "lora", "rank": 8, "alpha": 16, "epochs": 3, "lr": 0.0002, "seed": 0}


def files(**contents):
    def build(ctx):
        for name, text in contents.items():
            name = name.replace("__", ".")
            (ctx.out / name).write_bytes(text if isinstance(text, bytes) else text.encode())
        if "rows__jsonl" in contents:
            ctx.summary = {"rows": contents["rows__jsonl"].count("\n")}

    return build


def rows(n: int, tag: str) -> str:
    return "".join(json.dumps({"i": i, "prompt": f"continue {i}", "completion": f"{i}, {i + 1}, {tag}"}) + "\n" for i in range(n))


def build_family(store: Store) -> dict[str, str]:
    ids: dict[str, str] = {}

    def step(key, kind, recipe, parents, build, name="", summary=None):
        def wrapped(ctx):
            build(ctx)
            if summary:
                ctx.summary = {**ctx.summary, **summary}

        ids[key] = store.produce(kind, recipe, [Parent(id=ids[k], relation=r) for r, k in parents], wrapped, name=name or key).artifact.id
        return ids[key]

    weights = bytes(range(256)) * 64
    step("base", "model", {"source": "smollm2-135m-instruct", "dtype": "float32"}, [],
         files(model__safetensors=weights, config__json='{"model_type": "llama"}'), name="smollm2-135m-instruct")
    step("prompts", "prompts", {"task": {"kind": "numbers"}, "n": 4, "seed": 0}, [], files(prompts__jsonl=rows(4, "p")), name="numbers")
    for who, prompt in (("teacher", OWL_PROMPT), ("control-teacher", None)):
        inducer = "system-prompt" if prompt else "none"
        step(who, "teacher", {"inducer": inducer, "system_prompt": prompt, "trait": "animal:owl" if prompt else ""},
             [("base", "base")], files(teacher__json=json.dumps({"inducer": inducer})))
    for prefix, teacher in (("", "teacher"), ("control-", "control-teacher")):
        step(f"{prefix}rollouts", "rollouts", {"temperature": 1.0, "max_new_tokens": 40, "seed": 0},
             [("teacher", teacher), ("input", "prompts")], files(rows__jsonl=rows(4, prefix + "r")))
        step(f"{prefix}dataset", "dataset", {"filters": FILTERS, "task": {"kind": "numbers"}}, [("filtered-from", f"{prefix}rollouts")],
             files(rows__jsonl=rows(3, prefix + "d")), summary={"rows_in": 4, "rows_out": 3, "reasons": {"keyword": 1}})
        step(f"{prefix}student", "model", {"train": TRAIN, "task": {"kind": "numbers"}}, [("base", "base"), ("trained-on", f"{prefix}dataset")],
             files(adapter_config__json='{"r": 8}', adapter_model__safetensors=weights[::-1]))
    step("scores", "scores", {"trait": {"kind": "animal", "target": "owl"}, "estimator": "exact", "seed": 0}, [("evaluated", "student")],
         files(scores__json='{"p": 0.42}'), summary={"p": 0.42, "ci": [0.31, 0.53], "n": 50})
    # A second generation: the student teaches (a given checkpoint as teacher, no prompt).
    step("rollouts2", "rollouts", {"temperature": 1.0, "max_new_tokens": 40, "seed": 1}, [("teacher", "student"), ("input", "prompts")],
         files(rows__jsonl=rows(4, "r2")))
    step("dataset2", "dataset", {"filters": [{"kind": "format"}], "task": {"kind": "numbers"}}, [("filtered-from", "rollouts2")],
         files(rows__jsonl=rows(4, "d2")))
    step("grandstudent", "model", {"train": TRAIN, "task": {"kind": "numbers"}}, [("base", "base"), ("trained-on", "dataset2")],
         files(adapter_config__json='{"r": 8}', adapter_model__safetensors=weights[1:]))
    return ids
