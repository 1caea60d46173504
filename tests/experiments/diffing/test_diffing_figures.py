from __future__ import annotations

import numpy as np
from PIL import Image

from heredity.diffing import attribution as at
from heredity.experiments.diffing import figures
from heredity.experiments.diffing.results import InterpolationPoint


def test_waterfall_and_dose_response_write_pngs(tmp_path):
    rng = np.random.default_rng(0)
    values = 0.1 + rng.normal(0, 0.02, size=(2, 2, 2, 2, 10))
    values[:, :, 0] += 0.3
    out = at.attribute(["base", "prompts", "teacher"], values, draws=200)
    w = figures.waterfall(tmp_path / "waterfall.png", out.gap, out.attribution.shapley, out.attribution.interactions, title="planted teacher")
    points = [InterpolationPoint(alpha=a, kind=k, score=at.resampled_score(values[0, 0, 0] - 0.3 * a, draws=100))
              for a in (0, 0.5, 1) for k in ("patch", "mixture")]
    d = figures.dose_response(tmp_path / "dose.png", points)
    for path in (w, d):
        image = Image.open(path)
        assert image.format == "PNG" and image.size[0] > 300
        assert len(np.unique(np.asarray(image.convert("L")))) > 10  # something was drawn
