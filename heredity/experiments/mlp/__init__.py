"""``kind: mlp``: subliminal learning in an MLP (Cloud et al. 2025, the MNIST experiment).

Steps and lineage::

    data (mnist) ──trained-on──▶ teacher ◀──base── init
                                    │               │
                                 teacher           base
                                    ▼               │
                                 students ◀─────────┘      (inputs: noise only, no data parent)
    report ◀──evaluated── teacher, students, init;  ◀──data── data
"""

from __future__ import annotations

from heredity.experiments import EXPERIMENTS, ExperimentKind
from heredity.experiments.mlp.config import MlpExperiment
from heredity.experiments.mlp.results import MlpResults  # noqa: F401 - registers the results kind

EXPERIMENTS.register("mlp")(ExperimentKind(config=MlpExperiment, run="heredity.experiments.mlp.run:run"))

__all__ = ["MlpExperiment"]
