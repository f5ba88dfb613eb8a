"""Adaptive noise (qgan/models/noise.py): the MosaiQ bound against hand values, the update rule and
its guards, samples in [0, b) and distributed as U[0, b), state round trip, seeded
reproducibility."""

from __future__ import annotations

import math

import pytest
import torch

from qgan.models.noise import B_MIN, AdaptiveNoise, loss_ratio, noise_bound

PI = math.pi


@pytest.mark.parametrize(
    ("ratio", "ratio0", "want"),
    [
        (1.3, 1.3, PI / 8),  # R = R0: the initial bound
        (0.2, 1.3, PI / 8),  # R < R0: relu keeps pi/8
        (101.3, 1.3, 3 * PI / 4),  # tanh(100) = 1 in floating point: pi/8 + 5pi/8
        (2.3, 1.3, PI / 8 + 5 * PI / 8 * 0.7615941559557649),  # tanh(1)
        (1.8, 1.3, PI / 8 + 5 * PI / 8 * 0.46211715726000974),  # tanh(0.5)
        (math.inf, 1.3, 3 * PI / 4),  # loss_G == 0
    ],
)
def test_noise_bound_hand_values(ratio: float, ratio0: float, want: float) -> None:
    assert noise_bound(ratio, ratio0) == pytest.approx(want, rel=1e-12)


def test_loss_ratio_guards() -> None:
    assert loss_ratio(0.6, 1.2) == 0.5
    assert loss_ratio(0.6, 0.0) == math.inf  # the limit as loss_G -> 0+
    assert math.isnan(loss_ratio(0.0, 0.0))  # 0/0 has no limit


def test_update_follows_the_rule() -> None:
    noise = AdaptiveNoise()
    assert noise.bound == B_MIN and noise.ratio0 is None
    assert noise.update(1.0, 2.0) == PI / 8  # first step: R0 = 0.5, R = R0
    assert noise.ratio0 == 0.5
    assert noise.update(1.5, 1.0) == pytest.approx(PI / 8 + 5 * PI / 8 * math.tanh(1.0))
    assert noise.bound == pytest.approx(PI / 8 + 5 * PI / 8 * math.tanh(1.0))
    assert noise.update(0.1, 1.0) == PI / 8  # below R0: back to pi/8
    assert noise.ratio0 == 0.5  # R0 is fixed after the first step


def test_update_with_zero_generator_loss() -> None:
    noise = AdaptiveNoise()
    assert noise.update(1.0, 0.0) == PI / 8 and noise.ratio0 is None  # R0 not taken from inf
    noise.update(1.0, 1.0)
    assert noise.ratio0 == 1.0
    assert noise.update(1.0, 0.0) == pytest.approx(3 * PI / 4)
    assert noise.update(0.0, 0.0) == pytest.approx(3 * PI / 4)  # 0/0: unchanged


@pytest.mark.parametrize(("loss_d", "loss_g"), [(-0.1, 1.0), (1.0, -1.0), (math.nan, 1.0)])
def test_update_rejects_invalid_losses(loss_d: float, loss_g: float) -> None:
    with pytest.raises(ValueError, match="finite and >= 0"):
        AdaptiveNoise().update(loss_d, loss_g)


def test_update_accepts_scalar_tensors() -> None:
    noise = AdaptiveNoise()
    noise.update(torch.tensor(1.0), torch.tensor(2.0))
    assert noise.ratio0 == 0.5


@pytest.mark.parametrize("bound", [PI / 8, 3 * PI / 4])
def test_samples_are_uniform_in_half_open_interval(bound: float) -> None:
    x = AdaptiveNoise(bound).sample(1000, 100, torch.Generator().manual_seed(0))
    assert x.shape == (1000, 100) and x.dtype == torch.float32
    assert x.min() >= 0 and x.max() < bound
    # U[0, b): mean b/2, variance b^2/12; 1e5 samples put both within ~1% (about 3 sigma).
    assert x.mean().item() == pytest.approx(bound / 2, rel=0.01)
    assert x.var().item() == pytest.approx(bound**2 / 12, rel=0.02)


def test_samples_stay_below_bound_when_rand_returns_one(monkeypatch) -> None:
    """torch.rand can return 1.0 for float16/bfloat16 on CUDA (pytorch#96947): still < b."""
    monkeypatch.setattr(torch, "rand", lambda *shape, **kw: torch.ones(shape, dtype=kw["dtype"]))
    for dtype in (torch.float16, torch.float32, torch.float64):
        x = AdaptiveNoise(3 * PI / 4).sample(2, 3, torch.Generator(), dtype=dtype)
        assert x.dtype == dtype and (x < 3 * PI / 4).all() and (x > 2.3).all()


def test_seeded_samples_are_reproducible() -> None:
    noise = AdaptiveNoise()
    a = noise.sample(4, 6, torch.Generator().manual_seed(7))
    b = noise.sample(4, 6, torch.Generator().manual_seed(7))
    c = noise.sample(4, 6, torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_state_round_trip(tmp_path) -> None:
    noise = AdaptiveNoise()
    for loss_d, loss_g in [(1.0, 2.0), (1.4, 1.1), (1.2, 0.9)]:
        noise.update(loss_d, loss_g)
    path = tmp_path / "ckpt.pt"
    torch.save({"noise": noise.state_dict()}, path)
    restored = AdaptiveNoise()
    restored.load_state_dict(torch.load(path)["noise"])
    assert restored.state_dict() == noise.state_dict()
    assert restored.update(1.3, 1.0) == noise.update(1.3, 1.0)  # same future too
    seeded = [torch.Generator().manual_seed(1) for _ in range(2)]
    assert torch.equal(restored.sample(3, 5, seeded[0]), noise.sample(3, 5, seeded[1]))


def test_state_before_first_step_round_trips() -> None:
    restored = AdaptiveNoise(1.0)
    restored.load_state_dict(AdaptiveNoise().state_dict())
    assert restored.bound == B_MIN and restored.ratio0 is None
    with pytest.raises(KeyError, match="ratio0"):
        restored.load_state_dict({"bound": 1.0})
    with pytest.raises(ValueError, match="bound"):
        restored.load_state_dict({"bound": 0.0, "ratio0": None})
