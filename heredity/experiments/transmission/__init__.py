"""Transmission: breed a student from a trait teacher and a control from a trait-free one."""

from heredity.experiments import EXPERIMENTS, ExperimentKind
from heredity.experiments.transmission.config import TransmissionConfig
from heredity.experiments.transmission.results import TransmissionResults  # noqa: F401 - registers the results kind

EXPERIMENTS.register("transmission")(ExperimentKind(config=TransmissionConfig, run="heredity.experiments.transmission.run:run"))
