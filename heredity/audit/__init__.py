"""Auditing: fingerprint a teacher and scan a student (``audit``), score rows for a teacher's
signature (``screen``), and test whether one model was fine-tuned from another without records
(``derived``). Each reads models through ``heredity.models.loading`` and writes its result as a
store artifact whose parents are the models and data it read."""
