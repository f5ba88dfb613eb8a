"""Lesion classifiers, their pretrained weights, the training loop and classical augmentation.

Oracles: the saved state dict itself (weights loaded = weights saved), ``torch.rot90`` and
flips for the rotation and flip transforms, pixel multisets for exact transforms.
"""

from __future__ import annotations

import pytest
import torch

from qgan.augmentation.classifiers import (
    SmallCNN,
    build_classifier,
    find_weights,
    imagenet_weight_files,
)
from qgan.augmentation.config import AugmentError
from qgan.augmentation.fit import FitConfig, fit, predict_proba, torch_threads
from qgan.augmentation.transforms import (
    color_jitter,
    flips_and_quarter_turns,
    lesion_augment,
    random_rotation,
    rotate,
)
from qgan.vision import torchvision

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _fake_resnet18_file(path):
    torch.manual_seed(123)
    net = torchvision.models.resnet18(weights=None)  # 1000-class head, as ImageNet's
    torch.save(net.state_dict(), path)
    return net


def test_pretrained_path_loads_every_weight_but_the_head(tmp_path):
    saved = _fake_resnet18_file(tmp_path / "r18.pth")
    model, info = build_classifier("resnet18", 3, pretrained=str(tmp_path / "r18.pth"))
    assert info.weights == f"imagenet:{tmp_path / 'r18.pth'}"
    torch.testing.assert_close(model.net.conv1.weight, saved.conv1.weight)
    torch.testing.assert_close(model.net.layer4[1].bn2.running_var, saved.layer4[1].bn2.running_var)
    assert model.net.fc.out_features == 3
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 3)


def test_auto_finds_the_torch_hub_cache_and_falls_back_to_scratch(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert find_weights("resnet18", "auto") is None
    _, info = build_classifier("resnet18", 3, pretrained="auto")
    assert info.weights == "scratch" and "from scratch" in info.describe()
    cached = imagenet_weight_files("resnet18")[0]
    assert cached.name == "resnet18-f37072fd.pth"  # torchvision's own file name
    cached.parent.mkdir(parents=True)
    _fake_resnet18_file(cached)
    _, info = build_classifier("resnet18", 3, pretrained="auto")
    assert info.weights == f"imagenet:{cached}"
    _, info = build_classifier("resnet18", 3, pretrained="none")
    assert info.weights == "scratch"
    assert [p.name for p in imagenet_weight_files("resnet50")] == [
        "resnet50-11ad3fa6.pth",
        "resnet50-0676ba61.pth",
    ]


def test_wrong_or_missing_weights_fail_in_one_line(tmp_path):
    with pytest.raises(AugmentError, match="no weight file at"):
        build_classifier("resnet18", 3, pretrained=str(tmp_path / "missing.pth"))
    torch.save(SmallCNN(3).state_dict(), tmp_path / "cnn.pth")
    with pytest.raises(AugmentError, match="does not fit resnet18") as err:
        build_classifier("resnet18", 3, pretrained=str(tmp_path / "cnn.pth"))
    assert "\n" not in str(err.value)
    (tmp_path / "junk.pth").write_text("junk")
    with pytest.raises(AugmentError, match="cannot read weights"):
        build_classifier("resnet18", 3, pretrained=str(tmp_path / "junk.pth"))
    with pytest.raises(AugmentError, match="no pretrained"):
        build_classifier("smallcnn", 3, pretrained=str(tmp_path / "cnn.pth"))
    with pytest.raises(AugmentError, match="unknown classifier"):
        build_classifier("vgg", 3)


def test_resnet50_from_scratch_builds_and_runs_on_small_images():
    model, info = build_classifier("resnet50", 3, pretrained="none", seed=0)
    assert info.name == "resnet50" and 23_000_000 < info.n_params < 24_000_000
    model.eval()
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 3)


def test_same_seed_same_weights():
    a, _ = build_classifier("smallcnn", 3, seed=5)
    b, _ = build_classifier("smallcnn", 3, seed=5)
    c, _ = build_classifier("smallcnn", 3, seed=6)
    torch.testing.assert_close(a.head.weight, b.head.weight)
    assert not torch.equal(a.head.weight, c.head.weight)


def test_fit_learns_and_is_reproducible():
    gen = torch.Generator().manual_seed(0)
    y = torch.arange(12) % 3
    x = torch.rand(12, 3, 8, 8, generator=gen) * 0.2 - 0.9
    for i in range(12):
        x[i, int(y[i])] += 1.5  # class = the bright channel
    cfg = FitConfig(epochs=4, batch_size=6, lr=3e-3, seed=1, progress=False)
    a, _ = build_classifier("smallcnn", 3, seed=0)
    losses = fit(a, x, y, cfg, augment=lesion_augment).losses
    assert losses[-1] < losses[0]
    b, _ = build_classifier("smallcnn", 3, seed=0)
    assert fit(b, x, y, cfg, augment=lesion_augment).losses == losses  # seeded batches and draws
    probs = predict_proba(a, x)
    assert probs.shape == (12, 3)
    torch.testing.assert_close(torch.as_tensor(probs).sum(1), torch.ones(12, dtype=torch.float64))


def test_fit_survives_a_last_batch_of_one_image():
    model, _ = build_classifier("smallcnn", 2, seed=0)
    x, y = torch.rand(9, 3, 8, 8), torch.tensor([0, 1] * 4 + [0])
    assert len(fit(model, x, y, FitConfig(epochs=1, batch_size=4, progress=False)).losses) == 1


def test_flips_and_quarter_turns_only_move_pixels():
    x = torch.rand(16, 3, 8, 8) * 2 - 1
    out = flips_and_quarter_turns(x, torch.Generator().manual_seed(0))
    for a, b in zip(x, out, strict=True):
        torch.testing.assert_close(a.flatten().sort().values, b.flatten().sort().values)
        candidates = [a.flip(-1) if h else a for h in (0, 1)]
        candidates = [c.flip(-2) if v else c for c in candidates for v in (0, 1)]
        candidates = [torch.rot90(c, k, (-2, -1)) for c in candidates for k in range(4)]
        assert any(torch.equal(b, c) for c in candidates)
    assert not torch.equal(out, x)


def test_color_jitter_stays_in_range_and_keeps_gray_gray():
    x = torch.rand(8, 3, 8, 8) * 2 - 1
    out = color_jitter(x, torch.Generator().manual_seed(0))
    assert out.min() >= -1 and out.max() <= 1 and not torch.equal(out, x)
    gray = torch.rand(4, 1, 8, 8).expand(4, 3, 8, 8) * 2 - 1
    out = color_jitter(gray, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out[:, 0], out[:, 1])  # saturation leaves gray alone


def test_rotation_by_zero_and_ninety_degrees():
    x = torch.rand(3, 1, 10, 10) * 2 - 1
    torch.testing.assert_close(rotate(x, torch.zeros(3)), x, atol=1e-6, rtol=0)
    turned = rotate(x, torch.full((3,), 90.0))
    torch.testing.assert_close(turned, torch.rot90(x, 1, (-2, -1)), atol=1e-5, rtol=0)
    out = random_rotation(x, 15.0, torch.Generator().manual_seed(0))
    again = random_rotation(x, 15.0, torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, again)
    corner = rotate(-torch.ones(1, 1, 10, 10), torch.tensor([45.0]))
    assert corner.max() <= -1 + 1e-6  # black stays black; the filled corners too


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()  # 1 here, under this file's fixture
    with torch_threads(2):
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == before
    with torch_threads(0):  # 0: leave as is
        assert torch.get_num_threads() == before
