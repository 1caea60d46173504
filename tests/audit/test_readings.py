"""An audit's readings: measured once per model into artifacts, with a progress bar over what is
missing, and read back from the store the next time."""

import io
import re

import numpy as np
from rich.console import Console

from heredity.audit.models import resolve
from heredity.audit.probes import discovery_probes, trait_configs
from heredity.audit.readings import Loader, read_models
from heredity.runner import Runner
from heredity.store import Store

CURSOR = r"\x1b\[[0-9;?]*[A-Za-z]"  # the live bar's cursor moves (a terminal's, forced)


def test_readings_are_measured_once_with_a_progress_bar_then_read_back(tiny_lm, tmp_path):
    source, base = tiny_lm
    store = Store(tmp_path / "store")
    store.copy_from(source, base)
    ref = resolve(store, base, "--base")
    configs, probes = trait_configs(["animal:owl"], 4), discovery_probes(trait_configs(["animal:owl"]), 3)

    def read():
        out = io.StringIO()
        runner = Runner(store, console=Console(file=out, force_terminal=True, color_system=None, width=200))
        # the base in two roles is one model: read once
        return read_models(runner, {"teacher": ref, "base": ref}, configs, probes, Loader(store)), re.sub(CURSOR, "", out.getvalue())

    first, shown = read()
    assert shown.count("✓ built") == 2 and "reading 1 model" in shown
    assert f"/{4 + len(probes)}" in shown and "eta" in shown  # the bar's total: every probe still to read
    assert len(store.ids("scores")) == 1 and len(store.ids("first-token")) == 1
    again, shown = read()
    assert shown.count("✓ cached") == 2 and "✓ built" not in shown and "reading" not in shown  # nothing to read: no bar
    assert again["teacher"].scores["animal:owl"].per_probe == first["base"].scores["animal:owl"].per_probe
    np.testing.assert_array_equal(again["base"].mass, first["teacher"].mass)
    assert first["base"].mass.shape == (len(probes), len(first["base"].words))
    sums = first["base"].mass.sum(axis=1)  # words: the tokens with a letter or digit, each in one word
    assert 0.5 < sums.min() and sums.max() <= 1 + 1e-5


def test_exports_list_the_readings_scores_and_leave_out_the_raw_masses(tiny_lm, tmp_path):
    import json

    from heredity.store.exports import export

    source, base = tiny_lm
    store = Store(tmp_path / "store")
    store.copy_from(source, base)
    ref = resolve(store, base, "--base")
    configs = trait_configs(["animal:owl"], 2)
    for per_source in (1, 2):  # two probe sets: two first-token reads of one model
        read_models(Runner(store, quiet=True), {"base": ref}, configs, discovery_probes(configs, per_source), Loader(store))
    (scores,), reads = store.ids("scores"), store.ids("first-token")
    assert len(reads) == 2
    for form in ("model-card", "cyclonedx"):
        text = export(store, base, form)
        assert scores in text and not any(r in text for r in reads), form  # the score is a metric; word masses are not
    graph = json.loads(export(store, base, "spdx"))["@graph"]
    ids = [e["spdxId"] for e in graph if "spdxId" in e]
    assert scores in json.dumps(graph) and len(ids) == len(set(ids))  # each probe set its own element
