"""Post-training diffing: which factor of a pipeline (base, prompts, teacher, filter) hands an
inherited behaviour down, and which rows carry it.

Pure pieces, each separately tested: ``design`` (the 2^k cells and the path), ``attribution``
(cell means, effects, exact Shapley shares with bootstrap CIs), ``patching`` (row operations:
teacher patching, mixtures, swap/drop), ``flip`` (per-row scorers that rank rows by how much
they carry the behaviour), ``results`` (the typed results.json), ``config`` (the experiment file)
and ``figures``. See docs/diffing.md.
"""
