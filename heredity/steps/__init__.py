"""The steps of a breeding pipeline, one file each: a recipe and a function that makes an artifact.

    base ──teacher──▶ teacher ──rollouts(prompts)──▶ rollouts ──dataset(filters)──▶ dataset
      └────────────────────────────── student ◀──────────────────────────────────────┘
                                          └──scores(trait)──▶ scores ──▶ report
"""
