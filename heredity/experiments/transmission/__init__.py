"""Transmission: breed a student from a trait teacher and a control from a trait-free one."""

from heredity.experiments import EXPERIMENTS, ExperimentKind
from heredity.experiments.transmission.config import TransmissionConfig
from heredity.experiments.transmission.run import run

EXPERIMENTS.register("transmission")(ExperimentKind(config=TransmissionConfig, run=run))
