"""Post-training diffing: cross two pipelines' factors, breed every cell, attribute the gap."""

from heredity.experiments import EXPERIMENTS, ExperimentKind
from heredity.experiments.diffing.config import DiffingConfig
from heredity.experiments.diffing.results import DiffingResults
from heredity.experiments.diffing.run import run

EXPERIMENTS.register("diffing")(ExperimentKind(config=DiffingConfig, run=run))

__all__ = ["DiffingConfig", "DiffingResults", "run"]
