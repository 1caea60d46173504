"""A small text classifier for the adversarial filter: hashed word uni- and bigrams, L2-regularised
logistic regression fitted by scipy's L-BFGS, the AUC on a held-out split with a bootstrap CI.
No model download, deterministic given the seed; a few hundred rows fit in well under a second."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

DIM = 2**14
_WORD = re.compile(r"\w+|[^\w\s]")


def features(texts: list[str], dim: int = DIM) -> np.ndarray:
    """Rows of log(1 + count) over hashed unigrams and bigrams (lower-cased), each row L2-normalised."""
    x = np.zeros((len(texts), dim))
    for r, text in enumerate(texts):
        words = _WORD.findall(text.lower())
        for gram in words + [f"{a} {b}" for a, b in pairwise(words)]:
            x[r, int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little") % dim] += 1
    x = np.log1p(x)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """P(a positive outscores a negative), ties half (the Mann-Whitney U over n1 n0)."""
    from scipy.stats import rankdata  # scipy on use: reading an experiment file stays fast

    ranks = rankdata(scores)
    n1, n0 = int(labels.sum()), int((1 - labels).sum())
    return float((ranks[labels == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


@dataclass(frozen=True)
class Classifier:
    weights: np.ndarray
    bias: float
    auc: float                  # on the held-out split
    auc_ci: tuple[float, float]  # 95% bootstrap over held-out rows
    n_train: int
    n_heldout: int

    def score(self, texts: list[str]) -> np.ndarray:
        """The log-odds that each text is the traited teacher's."""
        return features(texts) @ self.weights + self.bias


def fit(traited: list[str], clean: list[str], *, heldout: float = 0.25, l2: float = 1.0, seed: int = 0,
        resamples: int = 1000) -> Classifier:
    """Tell ``traited`` from ``clean``: fit on a seeded split, report the AUC on the rest."""
    if min(len(traited), len(clean)) < 4:
        raise ValueError(f"the classifier needs at least 4 rows of each teacher (got {len(traited)} traited, {len(clean)} clean)")
    texts = traited + clean
    y = np.array([1.0] * len(traited) + [0.0] * len(clean))
    x = features(texts)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for label in (0.0, 1.0):  # stratified: both teachers in both splits
        idx = np.flatnonzero(y == label)
        test[rng.choice(idx, max(2, round(heldout * len(idx))), replace=False)] = True
    xt, yt = x[~test], y[~test]

    def loss(wb):
        z = xt @ wb[:-1] + wb[-1]
        p = 1 / (1 + np.exp(-z))
        value = np.sum(np.logaddexp(0, z) - yt * z) + 0.5 * l2 * wb[:-1] @ wb[:-1]
        grad = np.append(xt.T @ (p - yt) + l2 * wb[:-1], np.sum(p - yt))
        return value, grad

    from scipy.optimize import minimize

    wb = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B").x
    s, yh = x[test] @ wb[:-1] + wb[-1], y[test]
    boot = []
    for _ in range(resamples):  # resample each class within itself, so both are always present
        pick = np.concatenate([rng.choice(np.flatnonzero(yh == c), int((yh == c).sum())) for c in (0.0, 1.0)])
        boot.append(auc(s[pick], yh[pick]))
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return Classifier(wb[:-1], float(wb[-1]), auc(s, yh), (float(lo), float(hi)), int((~test).sum()), int(test.sum()))


def drop_and_refill(rows: list[dict], pool: list[dict], row_scores: np.ndarray, pool_scores: np.ndarray,
                    drop: float) -> tuple[list[dict], dict]:
    """The rows without the top ``drop`` fraction by score, refilled from ``pool`` (lowest scores
    first, none above the cut) to as many rows as before, so a student takes as many steps.
    Returns (rows, counts); refilled rows come last."""
    k = max(1, round(drop * len(rows)))
    order = np.argsort(-row_scores, kind="stable")
    dropped = set(order[:k].tolist())
    cut = float(row_scores[order[k - 1]])
    kept = [r for j, r in enumerate(rows) if j not in dropped]
    below = [j for j in np.argsort(pool_scores, kind="stable") if pool_scores[j] < cut]
    # Pool rows answer other prompts: new ids after the arm's, so row ids stay unique.
    top = max((r["i"] for r in rows), default=-1)
    refill = [{**pool[j], "i": top + 1 + n} for n, j in enumerate(below[:k])]
    counts = {"rows_in": len(rows), "dropped": k, "refilled": len(refill), "rows": len(kept) + len(refill), "cut": cut}
    return kept + refill, counts
