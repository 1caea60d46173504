"""The attacks of issue 12, on the real CLI: tampered data is never used, every record is covered
by a digest, read commands check what they show, writes never follow links. Each test names the
finding it covers. The toy experiment (tests/store/toy_experiment.py) and the synthetic family
(store_family.py) keep them fast; finding 1 also runs the real MLP experiment, tiny."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from procs import env
from toy_experiment import CLI

from heredity.cli import main
from heredity.store import Store
from heredity.store.hashing import hash_file
from heredity.store.verify import verify


def tiny_mlp(lr: str = "1.0e-3") -> str:
    """examples/mlp-tiny.yaml with the students' ``lr`` written as given (raw YAML)."""
    text = (Path(__file__).resolve().parents[2] / "examples" / "mlp-tiny.yaml").read_text()
    return text.replace("lr: 1.0e-3", f"lr: {lr}")


def flip_byte(path, offset=100):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def cli(tmp_path, *argv, extra_env=None):
    e = env(tmp_path / "toy.log")
    e.update(extra_env or {})
    return subprocess.run([*CLI, *argv], cwd=tmp_path, env=e, capture_output=True, text=True, timeout=300)


def toy(tmp_path, text="kind: toy\npause_s: 0\n", name="exp.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def by_name(store: Store, name: str) -> str:
    return next(aid for aid in store.ids() if store.manifest(aid).name == name)


# ---- 1. tampered data is never used silently ------------------------------------------------
def test_1_flipped_byte_in_a_cached_mlp_teacher_is_refused_and_nothing_is_built_on_it(tmp_path, capsys):
    root = tmp_path / "store"
    (tmp_path / "a.yaml").write_text(tiny_mlp("1.0e-3"))
    (tmp_path / "b.yaml").write_text(tiny_mlp("2.0e-3"))  # one student setting changed
    assert main(["--store", str(root), "run", str(tmp_path / "a.yaml"), "-q"]) == 0
    store = Store(root)
    teacher = by_name(store, "mlp teacher")
    weights = store.path(teacher) / "params.safetensors"
    before = set(store.ids())
    flip_byte(weights, offset=weights.stat().st_size - 8)
    capsys.readouterr()

    assert main(["--store", str(root), "run", str(tmp_path / "b.yaml"), "-q"]) == 1
    err = capsys.readouterr().err
    assert f"refusing to use cached {teacher}" in err and "params.safetensors sha256" in err
    assert set(store.ids()) == before  # no student was built on the poisoned teacher

    flip_byte(weights, offset=weights.stat().st_size - 8)  # restore: clean again, and nothing poisoned exists
    assert verify(store).ok
    assert main(["--store", str(root), "run", str(tmp_path / "b.yaml"), "-q"]) == 0


def test_1_a_step_refuses_a_parent_that_changed_unless_overridden(tmp_path):
    store_dir = tmp_path / "store"
    assert cli(tmp_path, "--store", str(store_dir), "run", str(toy(tmp_path))).returncode == 0
    store = Store(store_dir)
    data = by_name(store, "toy-data")
    flip_byte(store.path(data) / "rows.jsonl", offset=5)
    before = set(store.ids())
    changed = toy(tmp_path, "kind: toy\npause_s: 0\nchunks: 3\n", "b.yaml")  # rebuilds the model from the data

    done = cli(tmp_path, "--store", str(store_dir), "run", str(changed))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{data}: rows.jsonl sha256" in done.stderr and "HEREDITY_ALLOW_TAMPERED=1" in done.stderr
    assert set(store.ids()) == before

    forced = cli(tmp_path, "--store", str(store_dir), "run", str(changed), extra_env={"HEREDITY_ALLOW_TAMPERED": "1"})
    assert "warning: HEREDITY_ALLOW_TAMPERED=1" in forced.stderr and f"{data}: rows.jsonl" in forced.stderr


# ---- 2. every part of a manifest is covered by a digest ---------------------------------------
def test_2_file_and_its_manifest_hash_edited_together_is_caught(family, capsys, tmp_path):
    store, ids = family
    folder = store.path(ids["dataset"])
    (folder / "rows.jsonl").write_text('{"i": 0, "prompt": "p", "completion": "forged"}\n')
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["rows.jsonl"] = hash_file(folder / "rows.jsonl")
    (folder / "manifest.json").write_text(json.dumps(manifest))

    assert main(["--store", str(store.root), "verify"]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {ids['dataset']}: manifest.json changed since the artifact was built" in out
    assert f"FAIL {ids['student']}: was built from {ids['dataset']} with content digest" in out  # the chain
    assert main(["--store", str(store.root), "export", ids["student"], "--format", "cyclonedx"]) == 1
    assert ids["dataset"] in capsys.readouterr().err


def test_2_a_forged_score_summary_is_caught_and_never_published(family, capsys, tmp_path):
    store, ids = family
    path = store.path(ids["scores"]) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["summary"]["p"] = 0.0001
    path.write_text(json.dumps(manifest))

    assert main(["--store", str(store.root), "verify", ids["scores"]]) == 1
    assert f"{ids['scores']}: manifest.json changed since the artifact was built" in capsys.readouterr().out
    card = tmp_path / "README.md"
    assert main(["--store", str(store.root), "export", ids["student"], "--format", "model-card", "-o", str(card)]) == 1
    assert ids["scores"] in capsys.readouterr().err and not card.exists()


def test_2_exports_carry_the_content_digests_a_receiver_can_check(family, capsys):
    from heredity.store.integrity import content_digest

    store, ids = family
    assert main(["--store", str(store.root), "export", ids["student"], "--format", "cyclonedx"]) == 0
    bom = json.loads(capsys.readouterr().out)
    components = {c["bom-ref"]: c for c in [bom["metadata"]["component"], *bom["components"]]}
    for aid, component in components.items():
        props = {p["name"]: p["value"] for p in component["properties"]}
        assert props["heredity:content-digest"] == "sha256:" + content_digest(store.manifest(aid))
        for f in component.get("components", []):  # 3: the stated hash is the file's real hash
            assert f["hashes"][0]["content"] == hash_file(store.path(aid) / f["name"])
    assert main(["--store", str(store.root), "export", ids["student"], "--format", "model-card"]) == 0
    assert f"content_digest: sha256:{content_digest(store.manifest(ids['student']))}" in capsys.readouterr().out


# ---- 3. read commands check what they show -----------------------------------------------------
def test_3_a_cached_run_refuses_a_hand_edited_report(tmp_path):
    store_dir = tmp_path / "store"
    path = toy(tmp_path)
    assert cli(tmp_path, "--store", str(store_dir), "run", str(path)).returncode == 0
    store = Store(store_dir)
    report = by_name(store, "toy-report")
    (store.path(report) / "report.md").write_text("# toy\n\ntotal 999999 (all good)\n")
    done = cli(tmp_path, "--store", str(store_dir), "run", str(path))
    assert done.returncode == 1
    assert f"{report}: report.md sha256" in done.stderr and "999999" not in done.stdout + done.stderr


def test_3_lineage_and_export_refuse_tampered_artifacts(family, capsys):
    store, ids = family
    flip_byte(store.path(ids["teacher"]) / "teacher.json", offset=3)
    for argv in (["lineage", ids["student"]], ["lineage", ids["teacher"], "--reach"], ["export", ids["student"], "--format", "spdx"]):
        assert main(["--store", str(store.root), *argv]) == 1, argv
        assert f"{ids['teacher']}: teacher.json sha256" in capsys.readouterr().err
    assert main(["--store", str(store.root), "ls"]) == 1
    assert "FAILS ITS CHECK" in capsys.readouterr().out


# ---- 4. writes never follow links --------------------------------------------------------------
def test_4_export_never_writes_through_a_planted_link(family, capsys, tmp_path):
    store, ids = family
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "bom.json"
    (tmp_path / ".bom.json.tmp").symlink_to(victim)  # the old fixed temporary name
    assert main(["--store", str(store.root), "export", ids["student"], "--format", "cyclonedx", "-o", str(out)]) == 0
    assert victim.read_text() == "precious" and json.loads(out.read_text())["bomFormat"] == "CycloneDX"
    out.unlink()
    out.symlink_to(victim)  # a link at the target itself is replaced, not written through
    assert main(["--store", str(store.root), "export", ids["student"], "--format", "cyclonedx", "-o", str(out)]) == 0
    assert victim.read_text() == "precious" and not out.is_symlink()
    assert main(["--store", str(store.root), "export", ids["student"], "--format", "cyclonedx", "-o", "/"]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp") and not p.is_symlink()]


# ---- 5. whole-store verify fails on a deleted artifact -----------------------------------------
def test_5_deleted_artifact_fails_whole_store_verify_and_ls_names_it(family, capsys):
    store, ids = family
    shutil.rmtree(store.path(ids["dataset"]))
    assert main(["--store", str(store.root), "verify"]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {ids['dataset']}: is in the index but its folder is gone from the store (deleted)" in out
    assert f"FAIL {ids['student']}: its trained-on parent {ids['dataset']} is missing from the store" in out
    assert main(["--store", str(store.root), "ls"]) == 1
    out = capsys.readouterr().out
    assert f"{ids['dataset']}\t(unreadable: no artifact" in out and ids["student"] in out


# ---- 7. names are data, never markup -----------------------------------------------------------
def test_7_hostile_name_runs_and_reruns_and_is_shown_as_text(tmp_path):
    store_dir = tmp_path / "store"
    path = toy(tmp_path, 'kind: toy\npause_s: 0\nname: "evil[/] x[bold red]\\e[31m\\r"\n')
    for _ in range(2):  # a fresh build, then every step a cache hit
        done = cli(tmp_path, "--store", str(store_dir), "run", str(path))
        assert done.returncode == 0, done.stderr
        assert "report evil[/] x[bold red]" in done.stderr and "\x1b[31m" not in done.stderr and "\r" not in done.stderr
    lineage = cli(tmp_path, "--store", str(store_dir), "lineage", by_name(Store(store_dir), 'evil[/] x[bold red]\x1b[31m\r'))
    assert lineage.returncode == 0 and "evil[/] x[bold red]" in lineage.stdout and "\x1b[31m" not in lineage.stdout


# ---- 8. a truncated file read during a run is one line, never a traceback ----------------------
def test_8_truncated_file_is_refused_and_forced_reads_fail_in_one_line(tmp_path):
    store_dir = tmp_path / "store"
    path = toy(tmp_path)
    assert cli(tmp_path, "--store", str(store_dir), "run", str(path)).returncode == 0
    store = Store(store_dir)
    weights = store.path(by_name(store, "toy-model")) / "weights.json"
    weights.write_bytes(weights.read_bytes()[:5])
    shutil.rmtree(store.path(by_name(store, "toy-report")))  # so the next run reads the truncated file
    done = cli(tmp_path, "--store", str(store_dir), "run", str(path))
    assert done.returncode == 1 and "weights.json sha256" in done.stderr and "Traceback" not in done.stderr
    forced = cli(tmp_path, "--store", str(store_dir), "run", str(path), extra_env={"HEREDITY_ALLOW_TAMPERED": "1"})
    errors = [line for line in forced.stderr.splitlines() if line.startswith("error:")]
    assert forced.returncode == 2 and "Traceback" not in forced.stderr and len(errors) == 1
    assert "JSONDecodeError" in errors[0]
