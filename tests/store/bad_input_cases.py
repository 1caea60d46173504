"""Every bad input tried against the real CLI, and the message it gets.

Used by test_bad_inputs.py (which asserts exit status, one message, no traceback, a consistent
store) and run as a script to write docs/bad-inputs.md from the real output:

    .venv/bin/python tests/store/bad_input_cases.py > docs/bad-inputs.md
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_family import build_family
from toy_experiment import CLI

from heredity import limits
from heredity.store import Store

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Case:
    what: str
    setup: Callable[[Path], contextlib.AbstractContextManager]  # yields the CLI arguments
    status: int = 2
    expect: str = ""  # a fragment the message must contain
    needs_mount: bool = False
    toy: bool = False  # run with the test-only `toy` experiment kind registered (else the plain CLI)


def yaml_file(text: str | bytes, name: str = "exp.yaml"):
    @contextlib.contextmanager
    def setup(tmp: Path) -> Iterator[list[str]]:
        path = tmp / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        yield ["--store", str(tmp / "store"), "run", str(path)]

    return setup


def in_family(make_args: Callable[[Path, dict[str, str]], list[str]]):
    @contextlib.contextmanager
    def setup(tmp: Path) -> Iterator[list[str]]:
        store = Store(tmp / "store")
        ids = build_family(store)
        yield ["--store", str(store.root), *make_args(store.root, ids)]

    return setup


def foreign_folder(root: Path, ids):
    (root / "artifacts" / "holiday-photos").mkdir()
    return ["lineage", "holiday-photos"]


def corrupt_manifest(root: Path, ids):
    (root / "artifacts" / ids["student"] / "manifest.json").write_text('{"id": "' + ids["student"] + '", "kin')
    return ["export", ids["student"], "--format", "cyclonedx"]


def corrupt_index(root: Path, ids):
    (root / "index.sqlite").write_bytes(b"this is not a database" * 100)
    for extra in ("index.sqlite-wal", "index.sqlite-shm"):
        (root / extra).unlink(missing_ok=True)
    return ["ls"]


def tampered(root: Path, ids):
    path = root / "artifacts" / ids["student"] / "adapter_model.safetensors"
    data = bytearray(path.read_bytes())
    data[100] ^= 1
    path.write_bytes(bytes(data))
    return ["verify"]


@contextlib.contextmanager
def store_is_a_file(tmp: Path):
    (tmp / "store").write_text("not a folder")
    (tmp / "exp.yaml").write_text("kind: toy\n")
    yield ["--store", str(tmp / "store"), "run", str(tmp / "exp.yaml")]


@contextlib.contextmanager
def mounted(tmp: Path, options: str) -> Iterator[Path]:
    point = tmp / "disk"
    point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True, capture_output=True)
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False, capture_output=True)


@contextlib.contextmanager
def read_only_disk(tmp: Path):
    with mounted(tmp, "size=4M") as disk:
        Store(disk / "store")  # a store made while writable, then the disk turns read-only
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True, capture_output=True)
        (tmp / "exp.yaml").write_text("kind: toy\nchunks: 1\npause_s: 0\n")
        yield ["--store", str(disk / "store"), "run", str(tmp / "exp.yaml")]


@contextlib.contextmanager
def full_disk(tmp: Path):
    with mounted(tmp, "size=1M") as disk:
        (tmp / "exp.yaml").write_text("kind: toy\nn: 200000\nchunks: 1\npause_s: 0\n")  # ~4 MB of rows
        yield ["--store", str(disk / "store"), "run", str(tmp / "exp.yaml")]


@contextlib.contextmanager
def endless_file(tmp: Path):
    yield ["--store", str(tmp / "store"), "run", "/dev/zero"]


@contextlib.contextmanager
def export_to_root(tmp: Path):
    store = Store(tmp / "store")
    ids = build_family(store)
    yield ["--store", str(store.root), "export", ids["student"], "--format", "cyclonedx", "-o", "/"]


@contextlib.contextmanager
def export_to_missing_folder(tmp: Path):
    store = Store(tmp / "store")
    ids = build_family(store)
    yield ["--store", str(store.root), "export", ids["student"], "--format", "spdx", "-o", str(tmp / "no" / "such" / "dir" / "x.json")]


CASES = [
    Case("experiment file does not exist", lambda tmp: contextlib.nullcontext(["run", str(tmp / "missing.yaml")]), expect="no such file"),
    Case("malformed YAML (unclosed bracket)", yaml_file("kind: mlp\nseeds: [1, 2\n"), expect="invalid YAML at line"),
    Case("truncated YAML (cut inside a quoted string)", yaml_file('kind: mlp\nwidth: 20\nname: "8'), expect="invalid YAML at line"),
    Case("YAML that is a list, not settings", yaml_file("- kind: mlp\n- width: 3\n"), expect="expected a mapping"),
    Case("empty experiment file", yaml_file(""), expect="expected a mapping"),
    Case("not text (binary bytes)", yaml_file(b"\xff\xfe\x00kind"), expect="cannot be read"),
    Case("an endless input file", endless_file, expect=f"larger than {limits.MAX_FILE_BYTES:,} bytes"),
    Case("missing experiment kind", yaml_file("width: 3\n"), expect="kind: required field is missing"),
    Case("unknown experiment kind", yaml_file("kind: owls\n"), expect="unknown experiment kind 'owls'"),
    Case("unknown key", yaml_file("kind: mlp\nwidht: 3\n"), expect="widht: unknown key"),
    Case("wrong type", yaml_file("kind: mlp\nwidth: many\n"), expect="width: Input should be a valid integer"),
    Case("a key given twice", yaml_file("kind: mlp\nwidth: 16\nwidth: 4096\n"), expect="duplicate key 'width' (first given at line 2)"),
    Case("a billion seeds", yaml_file("kind: mlp\nseeds: 1000000000\n"), expect="seeds: 1,000,000,000 is over the limit of 1,000"),
    Case("a huge width", yaml_file("kind: mlp\nwidth: 10000000\n"), expect="width: 10,000,000 is over the limit of 8,192"),
    Case("huge aux_logits", yaml_file("kind: mlp\naux_logits: 100000000\n"), expect="aux_logits: 100,000,000 is over the limit of 1,000"),
    Case("a huge noise count", yaml_file("kind: mlp\nnoise: {count: 1000000000}\n"), expect="noise.count: 1,000,000,000 is over the limit of 200,000"),
    Case("a huge prompt count", yaml_file("kind: transmission\nprompts: 1000000000\n"), expect="prompts: 1,000,000,000 is over the limit of 100,000"),
    Case("huge max_new_tokens", yaml_file("kind: transmission\ngeneration: {max_new_tokens: 1000000}\n"), expect="generation.max_new_tokens: 1,000,000 is over the limit of 4,096"),
    Case("a seed out of range", yaml_file("kind: mlp\nnoise: {seed: -1}\n"), expect="noise.seed: seed -1 is out of range"),
    Case("an infinite learning rate", yaml_file("kind: mlp\nteacher: {lr: .inf}\n"), expect="teacher.lr: inf is not a finite number"),
    Case("not a number", yaml_file("kind: mlp\nteacher: {lr: .nan}\n"), expect="teacher.lr: nan is not a finite number"),
    Case("an integer of 2^64", yaml_file("kind: mlp\nwidth: 18446744073709551616\n"), expect="is too large (integers are limited"),
    Case("an integer of 5,000 digits", yaml_file("kind: mlp\nwidth: " + "9" * 5000 + "\n"), expect="invalid YAML: an integer of more than 4,300 digits"),
    Case("YAML nested 5,000 deep", yaml_file("kind: mlp\nx: " + "[" * 5000 + "]" * 5000 + "\n"), expect="nested too deeply"),
    Case("YAML nested 40 deep", yaml_file("kind: mlp\nx: " + "[" * 40 + "]" * 40 + "\n"), expect="nested more than 32 levels deep"),
    Case("unknown artifact id", in_family(lambda root, ids: ["lineage", "model-ffffffffffffffff"]), expect="no artifact matches"),
    Case("ambiguous id prefix", in_family(lambda root, ids: ["lineage", "model-"]), expect="is ambiguous"),
    Case("foreign folder inside the store", in_family(foreign_folder), expect="is not an artifact (no manifest.json)"),
    Case("corrupt manifest inside the store", in_family(corrupt_manifest), expect="is not a heredity manifest"),
    Case("corrupt index database", in_family(corrupt_index), expect="run `heredity reindex`"),
    Case("a flipped byte in a stored weight file", in_family(tampered), status=1, expect="adapter_model.safetensors sha256"),
    Case("store path is a file, not a folder", store_is_a_file, expect="cannot be created or written", toy=True),
    Case("store on a read-only disk (run)", read_only_disk, expect="is read-only", needs_mount=True, toy=True),
    Case("disk fills up while a step writes", full_disk, expect="No space left on device", needs_mount=True, toy=True),
    Case("export into a folder that does not exist", export_to_missing_folder, expect="cannot write"),
    Case("export onto the root folder (-o /)", export_to_root, expect="is a folder, not a file name"),
    Case("picture with an unknown format", in_family(lambda root, ids: ["lineage", ids["student"], "-o", str(root / "g.gif")]), expect="must be .svg, .png or .dot"),
]


def can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    with tempfile.TemporaryDirectory() as tmp:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", tmp], capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", tmp], capture_output=True)
        return ok


def run_case(case: Case, tmp: Path) -> tuple[int, str, list[str]]:
    """(exit status, stderr+stdout text, argv) of the real CLI on this case."""
    with case.setup(tmp) as argv:
        env = dict(os.environ, COLUMNS="400", PYTHONPATH=str(ROOT))
        env.pop("HEREDITY_ALLOW_TAMPERED", None)
        cli = CLI if case.toy else [sys.executable, "-m", "heredity.cli"]
        done = subprocess.run([*cli, *argv], cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
        return done.returncode, done.stderr + done.stdout, argv


def message(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(("error:", "FAIL", "heredity: error", "heredity run:"))]
    errors = [line for line in lines if not line.startswith("heredity run:")]
    return errors[0] if errors else output.strip().splitlines()[-1]


def code(text: str) -> str:
    """A markdown code span that may itself contain backticks."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def main() -> None:
    mount = can_mount()
    print("# Bad inputs and the messages they get\n")
    print("Generated from the real CLI by `tests/store/bad_input_cases.py` (the same cases")
    print("`tests/store/test_bad_inputs.py` asserts: exit status, one message, no traceback, the store left")
    print("consistent). Paths are the test's temporary folders. Exit status 2: bad input or environment;")
    print("1: verification failure.\n")
    print("| bad input | command | exit | message |")
    print("| --- | --- | --- | --- |")
    for case in CASES:
        if case.needs_mount and not mount:
            print(f"| {case.what} | (needs root and tmpfs mounts; not run here) | | |")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            status, output, argv = run_case(case, Path(tmp))
            text = message(output).replace(tmp, "$TMP").replace("|", "\\|")
            command = " ".join(a.replace(tmp, "$TMP") for a in argv)
        print(f"| {case.what} | {code('heredity ' + command)} | {status} | {code(text)} |")
    print(f"| model path that does not exist (an experiment's `source:`) | any step importing it | 2 | {code('error: ' + model_path_message())} |")
    print("\n## Limits\n")
    print("Checked on the raw YAML when the file is read, before anything is validated or built")
    print("(`heredity/limits.py`). A field is matched by name anywhere in the file, or by `parent.field`.\n")
    print("| field | largest accepted | counts |")
    print("| --- | --- | --- |")
    for key, (limit, what) in limits.LIMITS.items():
        print(f"| `{key}` | {limit:,} | {what} |")
    print(f"| any field named `seed` or `*_seed`, each of `seeds` | 0 to {limits.MAX_SEED:,} | a seed |")
    print(f"| any integer | ±{limits.MAX_INT:,} | |")
    print(f"| the file | {limits.MAX_FILE_BYTES:,} bytes | |")
    print(f"| nesting | {limits.MAX_DEPTH} levels | mappings and lists |")
    print(f"| values in the file | {limits.MAX_VALUES:,} | scalars, mappings, lists |")
    print(f"| one list or mapping | {limits.MAX_ITEMS:,} items | |")
    print(f"| one string | {limits.MAX_STRING:,} characters | |")
    print("\nAlso refused: a key given twice in one mapping, `.inf` and `.nan`.")


def model_path_message() -> str:
    from heredity.errors import ConfigError
    from heredity.models.loading import ModelSource
    from heredity.steps.models import import_base

    with tempfile.TemporaryDirectory() as tmp:
        try:
            import_base(Store(Path(tmp) / "store"), ModelSource(source="/no/such/model"))
        except ConfigError as exc:
            return str(exc)
    raise AssertionError("a missing model path was accepted")


if __name__ == "__main__":
    main()
