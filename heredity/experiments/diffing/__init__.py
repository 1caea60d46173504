"""Post-training diffing: cross two pipelines' factors, breed every cell, attribute the gap."""

from heredity.experiments.diffing.config import DiffingConfig
from heredity.experiments import EXPERIMENTS, ExperimentKind
from heredity.experiments.diffing.run import run

EXPERIMENTS.register("diffing")(ExperimentKind(config=DiffingConfig, run=run))

from heredity.experiments.diffing.results import DiffingResults  # noqa: E402
from heredity.results import RESULTS  # noqa: E402

RESULTS.register("diffing")(DiffingResults)
