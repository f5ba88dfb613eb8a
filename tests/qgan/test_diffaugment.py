"""DiffAugment (qgan/models/diffaugment.py) against direct constructions: shifts by explicit
slicing, cutout holes by counting, colour ranges by their formulas, gradients through every
transform."""

from __future__ import annotations

import pytest
import torch

from qgan.models.diffaugment import (
    TRANSFORMS,
    augment,
    color,
    cutout,
    flip,
    parse_policy,
    rot90,
    translation,
)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_parse_policy_names_unknown_transforms() -> None:
    assert parse_policy(" color, translation ,") == ("color", "translation")
    assert parse_policy("") == ()
    with pytest.raises(ValueError, match="unknown augmentation zoom"):
        parse_policy("color,zoom")


def test_translation_matches_explicit_shift() -> None:
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8) + 1
    gen = _gen(3)
    out = translation(x, gen)
    # the same draws, replayed: dy then dx, each in [-1, 1] for an 8-pixel side
    replay = _gen(3)
    dy = torch.randint(-1, 2, (2, 1, 1), generator=replay).flatten().tolist()
    dx = torch.randint(-1, 2, (2, 1, 1), generator=replay).flatten().tolist()
    for i in range(2):
        want = torch.zeros(3, 8, 8)
        src = x[i]
        ys, xs = slice(max(0, dy[i]), 8 + min(0, dy[i])), slice(max(0, dx[i]), 8 + min(0, dx[i]))
        yt, xt = (
            slice(max(0, -dy[i]), 8 + min(0, -dy[i])),
            slice(max(0, -dx[i]), 8 + min(0, -dx[i])),
        )
        want[:, ys, xs] = src[:, yt, xt]
        torch.testing.assert_close(out[i], want)


def test_cutout_zeroes_at_most_a_quarter_and_keeps_the_rest() -> None:
    x = torch.ones(64, 3, 16, 16)
    out = cutout(x, _gen())
    holes = (out == 0).all(dim=1).flatten(1).sum(1)  # pixels zeroed per image
    assert (holes <= 64).all() and (holes > 0).all()  # an 8x8 square, cut at the borders
    assert (holes == 64).any()
    assert ((out == 0) | (out == 1)).all()


def test_flip_mirrors_about_half_of_the_images() -> None:
    x = torch.randn(200, 1, 4, 4)
    out = flip(x, _gen())
    mirrored = (out == x.flip(-1)).flatten(1).all(1)
    kept = (out == x).flatten(1).all(1)
    assert (mirrored | kept).all()
    assert 70 < int(mirrored.sum()) < 130


def test_color_keeps_a_constant_grey_image_grey_and_in_brightness_range() -> None:
    x = torch.full((100, 3, 4, 4), 0.2)
    out = color(x, _gen())
    # a flat grey image has no saturation or contrast to scale: only the brightness moves it
    assert torch.allclose(out, out[:, :1, :1, :1].expand_as(out), atol=1e-6)
    shift = out[:, 0, 0, 0] - 0.2
    assert shift.min() >= -0.5 and shift.max() <= 0.5 and shift.std() > 0.2


def test_every_transform_passes_gradient_and_is_reproducible() -> None:
    for name in TRANSFORMS:
        x = torch.randn(4, 3, 16, 16, requires_grad=True)
        out = augment(x, (name,), _gen(1))
        out.square().sum().backward()
        assert x.grad is not None and x.grad.abs().sum() > 0, name
        torch.testing.assert_close(out, augment(x, (name,), _gen(1)))
    x = torch.randn(2, 3, 8, 8)
    assert augment(x, (), _gen()) is x


def test_rot90_turns_each_image_by_a_quarter_multiple() -> None:
    x = torch.randn(64, 2, 5, 5)
    out = rot90(x, _gen())
    turns = [
        next(k for k in range(4) if torch.equal(out[i], x[i].rot90(k, dims=(1, 2))))
        for i in range(64)
    ]
    assert set(turns) == {0, 1, 2, 3}


def test_probability_p_reaches_about_that_share_of_images() -> None:
    x = torch.ones(1000, 1, 8, 8)
    assert augment(x, ("cutout",), _gen(), p=0.0) is x
    out = augment(x, ("cutout",), _gen(), p=0.3)
    cut = (out == 0).flatten(1).any(1).float().mean().item()
    assert 0.25 < cut < 0.35
