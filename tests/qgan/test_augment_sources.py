"""Where generated images come from: run/sample folders, a JSON map, checkpoints, leak checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import qgan.models.sampling
from qgan.augmentation.config import AugmentError
from qgan.augmentation.sources import (
    Source,
    gather_pools,
    load_pool,
    locate,
    pool_notes,
    sampled_npz,
)
from qgan.checkpoint import load_checkpoint, save_checkpoint
from qgan.data import Split, save_split
from qgan.models.sampling import load_generator


def _npz(path, n=5, shape=(16, 16, 3), **extra):
    path.parent.mkdir(parents=True, exist_ok=True)
    images = np.random.default_rng(0).integers(0, 256, (n, *shape), dtype=np.uint8)
    np.savez(path, images=images, **extra)
    return path


def test_locate_reads_run_folders_sample_folders_and_a_map(tmp_path):
    _npz(tmp_path / "root" / "gan-isic2019-MEL" / "samples.npz")
    (tmp_path / "root" / "gan-isic2019-NV").mkdir()
    torch.save({}, tmp_path / "root" / "gan-isic2019-NV" / "last.pt")
    mapped = _npz(tmp_path / "maps" / "files" / "bcc.npz")
    (tmp_path / "maps" / "map.json").write_text(json.dumps({"gan": {"BCC": "files/bcc.npz"}}))
    found = locate(
        ("gan",),
        ("MEL", "NV", "BCC"),
        "isic2019",
        str(tmp_path / "root"),
        str(tmp_path / "maps" / "map.json"),
    )
    assert found["gan"]["MEL"].npz == tmp_path / "root" / "gan-isic2019-MEL" / "samples.npz"
    assert found["gan"]["NV"].checkpoint == tmp_path / "root" / "gan-isic2019-NV" / "last.pt"
    assert found["gan"]["BCC"].npz == mapped


def test_a_missing_model_or_class_is_one_line_with_the_fix(tmp_path):
    _npz(tmp_path / "gan-isic2019-MEL" / "samples.npz")
    with pytest.raises(AugmentError, match="model 'gan' class 'NV'") as err:
        locate(("gan",), ("MEL", "NV"), "isic2019", str(tmp_path), "")
    assert "\n" not in str(err.value) and "python -m qgan.train" in str(err.value)
    with pytest.raises(AugmentError, match="no --generated or map entry"):
        locate(("gan",), ("MEL",), "isic2019", "", "")
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(AugmentError, match="cannot read --generated-map"):
        locate(("gan",), ("MEL",), "isic2019", "", str(tmp_path / "bad.json"))


def test_load_pool_normalizes_shapes_and_refuses_wrong_images(tmp_path):
    gray = _npz(tmp_path / "gray.npz", shape=(28, 28))
    pool = load_pool(Source("q", "0", npz=gray), gray, 28, 1)
    assert pool.images.shape == (5, 28, 28, 1) and pool.seen_ids is None
    big = _npz(tmp_path / "big.npz", shape=(32, 32, 3))
    assert load_pool(Source("q", "MEL", npz=big), big, 16, 3).images.shape == (5, 16, 16, 3)
    with pytest.raises(AugmentError, match="1 channels, need 3"):
        load_pool(Source("q", "MEL", npz=gray), gray, 28, 3)
    np.savez(tmp_path / "float.npz", images=np.zeros((2, 8, 8, 3), np.float32))
    with pytest.raises(AugmentError, match="must be uint8"):
        load_pool(Source("q", "MEL"), tmp_path / "float.npz", 8, 3)
    np.savez(tmp_path / "nokey.npz", pictures=np.zeros((2, 8, 8, 3), np.uint8))
    with pytest.raises(AugmentError, match="cannot read images"):
        load_pool(Source("q", "MEL"), tmp_path / "nokey.npz", 8, 3)


def test_a_checkpoint_is_sampled_once_and_reused(tmp_path, monkeypatch):
    calls = []

    def fake_sample(cfg):
        calls.append((Path(cfg.checkpoint), cfg.n, cfg.seed))
        _npz(Path(cfg.out) / "samples.npz", n=cfg.n, checkpoint=cfg.checkpoint)
        return Path(cfg.out)

    monkeypatch.setattr(qgan.models.sampling, "sample", fake_sample)
    source = Source("gan", "MEL", checkpoint=tmp_path / "run" / "last.pt")
    first = sampled_npz(source, 7, tmp_path / "cache", seed=3, batch_size=4)
    again = sampled_npz(source, 7, tmp_path / "cache", seed=3, batch_size=4)
    assert first == again and calls == [(source.checkpoint, 7, 3)]
    assert np.load(first)["images"].shape[0] == 7


def _run_folder(tmp_path, train_ids, n_params=10, step=7, counts=None):
    run = tmp_path / "gan-isic2019-MEL"
    run.mkdir(parents=True)
    generator = {"w": torch.zeros(n_params), "bn.running_mean": torch.zeros(99)}
    ckpt = {"config": {}, "generator": generator, "position": {"step": step}}
    save_checkpoint(ckpt | ({"parameters": counts} if counts else {}), run / "last.pt")
    save_split(Split(tuple(train_ids), ("t1",), 0.2, 0), run)
    _npz(run / "samples.npz", checkpoint=str(run / "last.pt"))
    return run


def test_pools_know_their_generator_and_refuse_one_that_saw_test_images(tmp_path):
    _run_folder(tmp_path, ["a", "b"])
    sources = locate(("gan",), ("MEL",), "isic2019", str(tmp_path), "")
    needed = {"gan": {"MEL": 5}}
    pools = gather_pools(sources, needed, tmp_path / "cache", 16, 3, np.array(["t1", "t2"]))
    pool = pools["gan"]["MEL"]
    assert pool.seen_ids == {"a", "b"}
    assert pool.generator["n_params"] == 10 and pool.generator["step"] == 7  # buffers not counted
    (note,) = pool_notes(pools)
    assert "10 generator parameters" in note and "7 training steps" in note
    assert "test set checked" in note
    with pytest.raises(AugmentError, match="trained on 1 test images .first: b."):
        gather_pools(sources, needed, tmp_path / "cache", 16, 3, np.array(["b", "t2"]))


def test_generator_size_is_the_trainers_count_less_discriminator_and_encoder(tmp_path):
    """MosaiQ's PCA buffers and a TorchConnector's second handle on its weights are no
    parameters: the trainer's own count wins over the state dict's size."""
    counts = {"encoder": 5, "quantum": 600, "decoder": 100, "discriminator": 50, "total": 755}
    _run_folder(tmp_path, ["a"], n_params=123_456, counts=counts)
    sources = locate(("gan",), ("MEL",), "isic2019", str(tmp_path), "")
    pools = gather_pools(sources, {"gan": {"MEL": 5}}, tmp_path / "c", 16, 3, np.array(["t"]))
    assert pools["gan"]["MEL"].generator["n_params"] == 700


@pytest.mark.slow  # ~20 s: trains a real one-layer HybridQ generator for two steps
def test_a_real_checkpoint_is_sampled_into_the_cache(tmp_path):
    from qgan.train import main as train_main

    argv = "--dataset synthetic --limit 10 --batch-size 4 --epochs 1 --n-layers 1 --grid 4"
    train_main(argv.split() + ["--out", str(tmp_path / "runs")])
    sources = locate(("hybridq",), ("MEL",), "synthetic", str(tmp_path / "runs"), "")
    pools = gather_pools(
        sources, {"hybridq": {"MEL": 6}}, tmp_path / "cache", 16, 3, np.array(["none"])
    )
    pool = pools["hybridq"]["MEL"]
    assert pool.images.shape == (6, 16, 16, 3) and pool.seen_ids
    assert pool.generator["step"] == 2
    generator, _ = load_generator(load_checkpoint(pool.generator["checkpoint"]))
    trainable = sum(p.numel() for p in generator.parameters() if p.requires_grad)
    assert pool.generator["n_params"] == trainable  # quantum + decoder, each weight once
