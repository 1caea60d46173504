"""The one training loop: accumulation over micro-batches, the schedule, the pre-update hook,
and a resume that replays an interrupted run bit for bit."""

import pytest
import torch

from heredity.models.training import Resume, Step, fit, mean_ends


def _setup(seed: int = 0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    x, y = torch.randn(24, 6), torch.randn(24, 1)
    return model, x, y, torch.optim.AdamW(model.parameters(), lr=1e-2)


def _sse(model, x, y):
    return lambda idx: (model(x[idx]) - y[idx]).pow(2).sum()


def test_micro_batches_with_a_divisor_give_the_full_batch_gradient():
    grads = []
    for micro in ([list(range(12))], [list(range(5)), list(range(5, 12))]):
        model, x, y, _ = _setup()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: the step leaves the weights, we read the gradient
        seen = {}
        fit([Step(micro=micro, divisor=12)], _sse(model, x, y), optimizer,
            before_update=lambda step: seen.update({n: p.grad.clone() for n, p in model.named_parameters()}))  # noqa: B023 - fit runs within this iteration
        grads.append(seen)
    assert grads[0].keys() == grads[1].keys()
    for name in grads[0]:
        torch.testing.assert_close(grads[0][name], grads[1][name], rtol=1e-6, atol=1e-7)


def test_lr_schedule_hook_progress_and_losses():
    model, x, y, optimizer = _setup()
    steps = [Step(micro=[list(range(a, a + 4))], units=4) for a in range(0, 24, 4)]
    rates, hooked, units = [], [], []

    def hook(step):
        rates.append(optimizer.param_groups[0]["lr"])
        hooked.append(all(p.grad is not None for p in model.parameters()))

    trained = fit(steps, _sse(model, x, y), optimizer, lr=lambda step: 0.1 * (step + 1), max_grad_norm=1.0,
                  before_update=hook, progress=units.append)
    assert rates == pytest.approx([0.1 * (i + 1) for i in range(6)]) and all(hooked)
    assert units == [4] * 6 and trained.start == 0 and len(trained.losses) == 6
    assert mean_ends(trained.losses) == (round(trained.losses[0], 5), round(trained.losses[-1], 5))
    assert mean_ends([]) == (None, None)


class Interrupt(Exception):
    pass


def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path):
    steps = [Step(micro=[list(range(a, a + 3)), list(range(a + 3, a + 6))], divisor=6) for a in range(0, 24, 6)] * 3
    model, x, y, optimizer = _setup()
    straight = fit(steps, _sse(model, x, y), optimizer, lr=lambda s: 1e-2 / (1 + s), max_grad_norm=0.5)
    reference = {n: p.detach().clone() for n, p in model.named_parameters()}

    model, x, y, optimizer = _setup()
    resume = Resume(tmp_path, "run-1", model, every=4)
    done = []

    def killer(n):
        done.append(n)
        if len(done) == 7:
            raise Interrupt

    with pytest.raises(Interrupt):  # killed after step 7; the last checkpoint is at step 4
        fit(steps, _sse(model, x, y), optimizer, lr=lambda s: 1e-2 / (1 + s), max_grad_norm=0.5, progress=killer, resume=resume)
    model, x, y, optimizer = _setup()  # a new process: fresh weights and optimizer, same plan
    resumed = fit(steps, _sse(model, x, y), optimizer, lr=lambda s: 1e-2 / (1 + s), max_grad_norm=0.5,
                  resume=Resume(tmp_path, "run-1", model, every=4))
    assert resumed.start == 4 and resumed.losses == straight.losses[4:]
    assert all(torch.equal(p, reference[n]) for n, p in model.named_parameters())
    # a checkpoint of another run is not resumed
    model, x, y, optimizer = _setup()
    assert fit(steps[:1], _sse(model, x, y), optimizer, resume=Resume(tmp_path, "run-2", model)).start == 0
