"""The audit subcommands through ``heredity.cli.main``."""

import json

from heredity.cli import main


def test_derived_from_and_audit_commands(bred, capsys):
    store, ids = bred
    root = str(store.root)
    assert main(["--store", root, "derived-from", ids["base"], ids["student"], "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["derived"] is True and out["score"] > out["threshold"] and "AWM" in out["published"]
    assert main(["--store", root, "audit", "--teacher", ids["teacher"], "--student", ids["student"], "--control", ids["control"],
                 "--base", ids["base"], "--trait", "animal:owl", "--trait-probes", "6", "--probes-per-source", "4"]) == 0
    out = capsys.readouterr().out
    assert "| trait P(owl)" in out and "Holm" in out and out.strip().splitlines()[-1].startswith(root)
    assert main(["--store", root, "audit", "--teacher", "no-such-model", "--student", ids["student"]]) == 2
    assert "accepted: an artifact id" in capsys.readouterr().err
