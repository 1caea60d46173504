"""Every bad input ends with exit status 2 (1 for a failed verification), one clear message,
no traceback, and a store that still verifies. The cases are in bad_input_cases.py."""

from __future__ import annotations

import pytest
from bad_input_cases import CASES, can_mount, message, run_case

from heredity.cli import main
from heredity.errors import ConfigError
from heredity.store import Store
from heredity.store.verify import verify

MOUNT = can_mount()


@pytest.mark.parametrize("case", CASES, ids=[c.what for c in CASES])
def test_bad_input_gets_one_clear_message(case, tmp_path):
    if case.needs_mount and not MOUNT:
        pytest.skip("needs root and tmpfs mounts")
    status, output, _ = run_case(case, tmp_path)
    assert status == case.status, output
    assert "Traceback" not in output
    msg = message(output)
    assert case.expect in msg, output
    assert sum(line.startswith("error:") for line in output.splitlines()) <= 1
    store = tmp_path / "store"
    if store.is_dir() and case.status == 2 and "corrupt" not in case.what and "foreign" not in case.what:
        assert verify(Store(store)).ok  # nothing half-written became visible


def test_model_path_that_does_not_exist(store):
    from heredity.models.loading import ModelSource
    from heredity.steps.models import import_base

    with pytest.raises(ConfigError, match="model path /no/such/model does not exist"):
        import_base(store, ModelSource(source="/no/such/model"))
    assert store.ids() == []


@pytest.mark.skipif(not MOUNT, reason="needs root and tmpfs mounts")
def test_full_disk_leaves_no_debris_and_read_only_store_still_reads(tmp_path, capsys):
    import subprocess

    from bad_input_cases import full_disk, mounted
    from store_family import build_family

    with full_disk(tmp_path) as argv:
        assert main(argv) == 2
        root = argv[1]
        s = Store(root)
        assert s.ids() == [] and not any((s.root / "tmp").iterdir()) and verify(s).ok
    capsys.readouterr()
    (tmp_path / "ro").mkdir()
    with mounted(tmp_path / "ro", "size=4M") as disk:
        ids = build_family(Store(disk / "store"))
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        for argv in (["verify"], ["lineage", ids["student"]], ["export", ids["student"], "--format", "cyclonedx"], ["ls"]):
            assert main(["--store", str(disk / "store"), *argv]) == 0, argv
        assert main(["--store", str(disk / "store"), "reindex"]) == 2
        assert "is read-only" in capsys.readouterr().err
