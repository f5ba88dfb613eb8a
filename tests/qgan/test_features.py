"""Feature networks: the derm network and its file (Inception: test_inception.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from qgan.evaluation.derm import (
    DermConfig,
    augment,
    class_weights,
    classification_metrics,
    expected_hash,
    train_derm_network,
)
from qgan.evaluation.features import (
    DermDataMismatch,
    DermNet,
    DermNetworkMissing,
    load_derm_network,
    read_derm_record,
    save_derm_network,
    training_data_hash,
)

pytestmark = pytest.mark.usefixtures("no_qgan_data")


# ----------------------------------------------------------------------------------- derm
def _record(net: DermNet, data_hash: str = "a" * 64) -> dict:
    config = dataclasses.asdict(DermConfig(dataset="synthetic").resolved())
    return {
        "config": config,
        "class_names": ["MEL", "NV", "BCC"],
        "data_hash": data_hash,
        "train_ids": ["MEL_00000"],
        "metrics": {"test_accuracy": 0.5},
    }


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
    data = LesionData(
        np.zeros((5, 8, 8, 3), np.uint8),
        labels,
        ("A", "B"),
        np.array(list("abcde")),
        np.array(list("abcde")),
    )
    m = classification_metrics(Fixed(), data, batch_size=10)
    assert m["test_accuracy"] == pytest.approx(4 / 5)
    assert m["test_recall"] == {"A": 1.0, "B": pytest.approx(2 / 3)}
    assert m["test_balanced_accuracy"] == pytest.approx((1 + 2 / 3) / 2)


def test_build_one_epoch_on_synthetic_data_and_check_its_hash(tmp_path, tiny_derm_config):
    cfg = tiny_derm_config(tmp_path / "derm.pt")
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
