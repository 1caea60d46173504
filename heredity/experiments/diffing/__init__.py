"""Post-training diffing: cross two pipelines' factors, breed every cell, attribute the gap."""

from heredity.experiments import EXPERIMENTS, ExperimentKind
from heredity.experiments.diffing.config import DiffingConfig
from heredity.experiments.diffing.results import DiffingResults

EXPERIMENTS.register("diffing")(ExperimentKind(config=DiffingConfig, run="heredity.experiments.diffing.run:run"))

__all__ = ["DiffingConfig", "DiffingResults"]
