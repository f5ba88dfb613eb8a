"""Feature networks: Inception weights lookup and loading offline, the derm network's file.

No test downloads anything: the hub directory is an empty tmp folder and the download function
is replaced by one that fails the way an offline machine does.
"""

from __future__ import annotations

import dataclasses
import urllib.error
from unittest import mock

import numpy as np
import pytest
import torch

import qgan.features as features
from qgan.evaluation.derm import (
    DermConfig,
    augment,
    class_weights,
    classification_metrics,
    expected_hash,
    train_derm_network,
)
from qgan.features import (
    FID_WEIGHTS_FILE,
    DermDataMismatch,
    DermNet,
    DermNetworkMissing,
    InceptionUnavailable,
    find_inception_weights,
    load_derm_network,
    load_inception,
    read_derm_record,
    save_derm_network,
    training_data_hash,
)
from qgan.vision import pytorch_fid


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    """An empty torch hub cache and a download that fails like an offline one."""
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))

    def refuse(url, path):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(features, "_download", refuse)
    monkeypatch.delenv("QGAN_DATA", raising=False)


# ------------------------------------------------------------------------------ Inception
def test_absent_inception_weights_give_one_line_that_says_what_to_supply(tmp_path):
    with pytest.raises(InceptionUnavailable) as exc:
        find_inception_weights()
    text = str(exc.value)
    assert "\n" not in text and text.startswith("Inception FID skipped:")
    assert FID_WEIGHTS_FILE in text and str(tmp_path / "hub" / "checkpoints") in text
    assert "download failed: URLError" in text and "--fid-weights PATH" in text
    assert "github.com/mseitzer/pytorch-fid" in text
    with pytest.raises(InceptionUnavailable, match="downloads are off"):
        find_inception_weights(download=False)
    with pytest.raises(InceptionUnavailable, match="--fid-weights .*nope.pth is not a file"):
        find_inception_weights(tmp_path / "nope.pth")


def test_weights_are_found_in_the_hub_cache_or_at_the_given_path(tmp_path):
    cached = tmp_path / "hub" / "checkpoints" / FID_WEIGHTS_FILE
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    assert find_inception_weights(download=False) == cached
    given = tmp_path / "mine.pth"
    given.write_bytes(b"y")
    assert find_inception_weights(given) == given


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


def test_inception_loads_a_local_file_without_network(fid_weights):
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
        for name in ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1",
                     "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c",
                     "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
                     "Mixed_7a", "Mixed_7b", "Mixed_7c", "avgpool"):  # fmt: skip
            x = getattr(reference, name)(x)
    np.testing.assert_allclose(feats, x.flatten(1).double().numpy(), rtol=1e-4, atol=1e-5)


def test_a_file_that_is_not_the_fid_weights_is_refused_in_one_line(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(InceptionUnavailable, match="is not pytorch-fid's") as exc:
        load_inception(path)
    assert "\n" not in str(exc.value)


# ----------------------------------------------------------------------------------- derm
def _record(net: DermNet, data_hash: str = "a" * 64) -> dict:
    config = dataclasses.asdict(DermConfig(dataset="synthetic").resolved())
    return {"config": config, "class_names": ["MEL", "NV", "BCC"], "data_hash": data_hash,
            "train_ids": ["MEL_00000"], "metrics": {"test_accuracy": 0.5}}  # fmt: skip


def test_derm_net_shapes():
    net = DermNet(n_classes=5, width=8).eval()
    x = torch.zeros(3, 3, 64, 64)
    assert net.features(x).shape == (3, 64) and net(x).shape == (3, 5)
    assert net.feature_dim == 64


def test_derm_network_round_trip_gives_the_same_features(tmp_path):
    torch.manual_seed(0)
    net = DermNet(3, width=8).eval()
    path = save_derm_network(net, tmp_path / "d.pt", _record(net))
    loaded, record = load_derm_network(path, expected_hash="a" * 64)
    images = np.random.default_rng(1).integers(0, 256, (4, 64, 64, 3), dtype=np.uint8)
    with torch.no_grad():
        direct = net.features(torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1)
    np.testing.assert_allclose(loaded.features(images, batch_size=3), direct.double(), atol=1e-6)
    assert loaded.name == "derm" and loaded.dim == 64 and record["metrics"]["test_accuracy"] == 0.5
    gray = images[..., :1]  # grayscale goes in as RGB with three equal channels
    rgb = loaded.features(gray.repeat(3, -1))
    np.testing.assert_allclose(loaded.features(gray), rgb, atol=1e-6)


def test_derm_network_on_other_data_is_refused_with_a_clear_message(tmp_path):
    net = DermNet(3, width=8)
    path = save_derm_network(net, tmp_path / "d.pt", _record(net, "a" * 64))
    with pytest.raises(DermDataMismatch) as exc:
        load_derm_network(path, expected_hash="b" * 64)
    text = str(exc.value)
    assert "\n" not in text and "trained on other data" in text
    assert "aaaaaaaaaaaa != bbbbbbbbbbbb" in text
    assert "python -m qgan.evaluate features --train --dataset synthetic" in text


def test_missing_foreign_and_corrupt_derm_files(tmp_path):
    with pytest.raises(DermNetworkMissing, match="no derm feature network at .*features --train"):
        read_derm_record(tmp_path / "none.pt")
    torch.save({"model": 1}, tmp_path / "foreign.pt")
    with pytest.raises(DermNetworkMissing, match="is not a derm feature network"):
        read_derm_record(tmp_path / "foreign.pt")
    net = DermNet(3, width=8)
    path = save_derm_network(net, tmp_path / "d.pt", _record(net))
    record = torch.load(path, weights_only=True)
    record["state_dict"]["head.1.bias"] += 1.0
    torch.save(record, path)
    with pytest.raises(DermNetworkMissing, match="corrupt weights"):
        load_derm_network(path)


def test_training_data_hash_ignores_order_and_sees_ids_labels_and_size():
    ids, names = ["a", "b", "c"], ["MEL", "NV", "MEL"]
    h = training_data_hash("isic2019", 64, ids, names)
    assert h == training_data_hash("isic2019", 64, ids[::-1], names[::-1])
    assert h != training_data_hash("isic2019", 32, ids, names)
    assert h != training_data_hash("isic2019", 64, ids, ["MEL", "NV", "NV"])
    assert h != training_data_hash("isic2019", 64, ids[:2], names[:2])
    assert h != training_data_hash("ham10000", 64, ids, names)


def test_class_weights_and_augmentation():
    weights = class_weights(np.array([0, 0, 0, 0, 1]), 3)
    assert weights[2] == 0 and weights[1] / weights[0] == pytest.approx(2.0)
    assert weights[:2].mean() == pytest.approx(1.0)
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    y = augment(x, torch.Generator().manual_seed(0))
    assert y.shape == x.shape
    for a, b in zip(x, y, strict=True):  # each image is one of the 8 symmetries of itself
        variants = [a, a.flip(2), a.flip(1), a.flip(1).flip(2)]
        variants += [v.transpose(1, 2) for v in variants]
        assert any(torch.equal(b, v) for v in variants)


def test_classification_metrics_against_hand_counts():
    class Fixed(torch.nn.Module):  # predicts class 0 for the first 3 images, 1 after
        def forward(self, x):
            return torch.tensor([[1.0, 0.0]] * 3 + [[0.0, 1.0]] * (len(x) - 3))

    from qgan.data import LesionData

    labels = np.array([0, 0, 1, 1, 1])  # predictions 0 0 0 1 1
    data = LesionData(np.zeros((5, 8, 8, 3), np.uint8), labels, ("A", "B"),
                      np.array(list("abcde")), np.array(list("abcde")))  # fmt: skip
    m = classification_metrics(Fixed(), data, batch_size=10)
    assert m["test_accuracy"] == pytest.approx(4 / 5)
    assert m["test_recall"] == {"A": 1.0, "B": pytest.approx(2 / 3)}
    assert m["test_balanced_accuracy"] == pytest.approx((1 + 2 / 3) / 2)


def test_build_one_epoch_on_synthetic_data_and_check_its_hash(tmp_path):
    cfg = DermConfig(dataset="synthetic", limit=12, epochs=1, batch_size=16, width=8,
                     out=str(tmp_path / "derm.pt"))  # fmt: skip
    path, metrics = train_derm_network(cfg)
    assert 0.0 <= metrics["test_accuracy"] <= 1.0 and metrics["n_train"] + metrics["n_test"] == 36
    record = read_derm_record(path)
    assert record["config"]["limit"] == 12 and record["class_names"] == ["MEL", "NV", "BCC"]
    data_hash, train_ids = expected_hash(record["config"])
    assert data_hash == record["data_hash"] and train_ids == set(record["train_ids"])
    load_derm_network(path, data_hash)  # the current data: accepted
    other, _ = expected_hash(record["config"] | {"limit": 13})
    with pytest.raises(DermDataMismatch):
        load_derm_network(path, other)
