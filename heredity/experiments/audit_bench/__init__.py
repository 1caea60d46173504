"""Audit benchmark: organisms of known pedigree, audited blind; the auditor's error rates."""

from heredity.experiments import EXPERIMENTS, ExperimentKind
from heredity.experiments.audit_bench.config import AuditBenchConfig
from heredity.experiments.audit_bench.results import AuditBenchResults  # noqa: F401 - registers the results kind

EXPERIMENTS.register("audit-bench")(ExperimentKind(config=AuditBenchConfig, run="heredity.experiments.audit_bench.run:run"))
