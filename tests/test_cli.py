"""The terminal is quiet and honest: user text is printed as text (no emoji codes, no markup),
whole lines off a terminal, every config problem on its own line, unknown kinds refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from heredity.cli import main
from heredity.display import console
from heredity.runner import Runner
from heredity.store import Store
from heredity.store.kinds import KINDS

REPO = Path(__file__).resolve().parents[1]


def test_emoji_codes_and_markup_in_user_text_print_literally(tmp_path, capsys):
    # `animal:dog:` is how a trait name followed by a colon reads; rich would draw a dog.
    Store(tmp_path / "store")
    assert main(["--store", str(tmp_path / "store"), "lineage", "animal:dog:[bold]x"]) == 2
    err = capsys.readouterr().err
    assert "animal:dog:[bold]x" in err and "\N{DOG FACE}" not in err


def test_off_a_terminal_lines_are_whole(tmp_path, capsys):
    """A log gets each step on one line, however long, never `… in ⏎22.8s`."""
    runner = Runner(Store(tmp_path / "store"), console=console())
    name = "a step with a long name " * 6
    runner.step("prompts", {"n": 1}, [], lambda ctx: (ctx.out / "x.txt").write_text("x"), name=name)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("✓ built  prompts " + name.strip()) and lines[0].endswith("s")


def test_ls_refuses_an_unknown_kind_naming_the_accepted(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--store", str(tmp_path / "store"), "ls", "--kind", "nonsense"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nonsense'" in err and all(kind in err for kind in KINDS)
    Store(tmp_path / "store")
    assert main(["--store", str(tmp_path / "store"), "ls", "--kind", "model"]) == 0


def test_every_config_problem_is_reported_each_on_its_line(tmp_path, capsys):
    experiment = yaml.safe_load((REPO / "examples" / "owl-general.yaml").read_text())
    experiment["trait"]["animal"] = "gryphon"
    experiment["student"]["train"]["mode"] = "distil"
    experiment["prompts"] = -3
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(experiment))
    assert main(["--store", str(tmp_path / "store"), "run", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    problems = [line.removeprefix("error:").strip() for line in lines]
    assert problems[0].startswith(f"{path}: ") and len(problems) == 3, lines
    assert any("trait.animal" in p and "'gryphon'" in p for p in problems)
    assert any("student.train" in p and "'distil'" in p and "distill" in p for p in problems)
    assert any(p.startswith(f"{path}: prompts:") for p in problems)


def _quiet_environment() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("TQDM_DISABLE", "HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY")}


@pytest.mark.slow
def test_a_default_run_on_a_fresh_store_prints_only_heredity(tmp_path):
    """SmolLM2 imported from its GGUF (transformers' de-quantizing bar), a teacher, rollouts, a
    student and scores on a store that has nothing: stderr holds heredity's lines only."""
    experiment = {
        "kind": "transmission", "name": "fresh",
        "trait": {"kind": "animal", "animal": "owl", "n_probes": 2},
        "task": {"kind": "numbers", "max_new_tokens": 6},
        "prompts": 2, "generation": {"batch_size": 2},
        "filters": {"unfiltered": []},
        "student": {"train": {"mode": "sft", "lr": 1e-3, "warmup_steps": 0, "batch_tokens": 256}},
    }
    path = tmp_path / "fresh.yaml"
    path.write_text(yaml.safe_dump(experiment))
    done = subprocess.run([sys.executable, "-m", "heredity.cli", "--store", str(tmp_path / "store"), "run", str(path)],
                          capture_output=True, text=True, env=_quiet_environment(), timeout=1800)
    assert done.returncode == 0, done.stderr
    err = done.stderr
    for noise in ("Converting and de-quantizing", "it/s]", "%|", "Warning", "warn(", "deprecated"):
        assert noise not in err, err
    assert err.startswith("heredity run ") and "✓ built  model smollm2-135m-instruct" in err
