"""``python -m qgan.augment efficiency`` on tiny digit runs made here (seconds).

Each fake GAN run folder holds two snapshots, ``epoch001.pt`` (step 10) and ``epoch002.pt``
(step 20), that carry the trainer's parameter count; sampling a snapshot is replaced by writing
bar images (the MNIST stand-in's digits), noise for epoch 1 and clean bars for epoch 2. The
oracle for the table is recomputed here from the sub-runs' ``cells.jsonl``.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np
import pytest

import qgan.augmentation.digits as digits_mod
import qgan.models.sampling
from qgan.augment import main
from qgan.augmentation.config import AugmentError
from qgan.augmentation.efficiency import (
    EfficiencyConfig,
    run_efficiency,
    snapshot_epochs,
    steps_to_target,
)
from qgan.checkpoint import save_checkpoint

pytestmark = pytest.mark.usefixtures("one_torch_thread")

PARAMS = {"hybridq": 500, "dcgan": 1000}  # trainer's count: generator = total - discriminator


def _gan_runs(root: Path) -> Path:
    """Run folders <model>-mnist-<d> with two snapshots each; returns the --runs JSON."""
    runs = {}
    for model, n in PARAMS.items():
        for digit in "012":
            folder = root / f"{model}-mnist-{digit}"
            for epoch in (1, 2):
                ckpt = {"config": {}, "generator": {}, "position": {"step": 10 * epoch}}
                ckpt["parameters"] = {"total": n + 7, "discriminator": 7}
                save_checkpoint(ckpt, folder / f"epoch{epoch:03d}.pt")
            runs.setdefault(model, {})[digit] = folder.name
    (root / "runs.json").write_text(json.dumps(runs))
    return root / "runs.json"


@pytest.fixture
def fake_sampling(monkeypatch):
    def sample(cfg):
        ckpt = Path(cfg.checkpoint)
        digit, epoch = int(ckpt.parent.name[-1]), int(ckpt.stem[-3:])
        rng = np.random.default_rng(cfg.seed)
        images = rng.integers(0, 256 if epoch == 1 else 40, (cfg.n, 28, 28), dtype=np.uint8)
        if epoch > 1:
            images[:, 4:24, 4 + 6 * digit : 7 + 6 * digit] = 255
        Path(cfg.out).mkdir(parents=True, exist_ok=True)
        np.savez(Path(cfg.out) / "samples.npz", images=images, checkpoint=str(ckpt))

    monkeypatch.setattr(qgan.models.sampling, "sample", sample)


def _cfg(tmp_path: Path, **kw) -> EfficiencyConfig:
    tiny = {"n_train": 6, "n_val": 4, "test_fraction": 0.3, "n_generated": 4, "epochs": 2}
    tiny |= {"n_qubits": 3, "n_layers": 1, "channels": 2, "batch_size": 12, "seeds": "0,1"}
    tiny |= {"data_root": str(tmp_path / "data"), "out": str(tmp_path / "out")}
    return EfficiencyConfig(**({"runs": str(tmp_path / "gen" / "runs.json")} | tiny | kw))


def test_efficiency_table_agrees_with_its_sub_runs(
    tmp_path, fake_sampling, monkeypatch, mnist_bars
):
    mnist_bars(tmp_path / "data" / "mnist", per_digit=20, digits=(0, 1, 2), shuffle=False)
    _gan_runs(tmp_path / "gen")
    table = run_efficiency(_cfg(tmp_path), progress=False)
    out = tmp_path / "out"
    none = [json.loads(x) for x in (out / "none" / "cells.jsonl").read_text().splitlines()]
    target = statistics.median(r["accuracy"] for r in none) - 0.01
    text = table.read_text()
    assert f">= {target:.3f} (the none row's median - 0.01)" in text
    for model, row in (("hybridq", "qgan-general"), ("dcgan", "dcgan-general")):
        means = {}
        for epoch in (1, 2):
            lines = (out / model / f"epoch{epoch:03d}" / "cells.jsonl").read_text().splitlines()
            cells = [json.loads(x) for x in lines]
            assert {c["row"] for c in cells} == {row} and len(cells) == 2
            means[10 * epoch] = statistics.fmean(c["accuracy"] for c in cells)
            assert f"| {model} | {epoch} | {10 * epoch} | 2 | {means[10 * epoch]:.3f} |" in text
        hit = next((s for s in sorted(means) if means[s] >= target), None)
        summary = next(
            x for x in text.splitlines() if x.startswith(f"| {model} | {PARAMS[model]:,} |")
        )
        assert (f"| {hit} (epoch {hit // 10}) |" if hit else "| not by step 20 |") in summary
    assert "| ratio hybridq / dcgan | 0.50 |" in text  # 500 / 1000 trainable parameters
    calls = []  # a rerun resumes every sub-run: no fit runs again
    real = digits_mod.digit_cell
    monkeypatch.setattr(digits_mod, "digit_cell", lambda c, r: calls.append(c) or real(c, r))
    run_efficiency(_cfg(tmp_path), progress=False)
    assert calls == []


def test_snapshots_shared_by_every_digit_and_the_first_to_reach_a_target(tmp_path):
    for digit, epochs in (("0", (1, 2, 3)), ("1", (2, 3))):
        for e in epochs:
            (tmp_path / digit).mkdir(exist_ok=True)
            (tmp_path / digit / f"epoch{e:03d}.pt").write_bytes(b"")
    folders = {d: tmp_path / d for d in "01"}
    assert snapshot_epochs(folders) == [2, 3]
    assert snapshot_epochs(folders, (3,)) == [3]
    with pytest.raises(AugmentError, match=r"epoch\(s\) \[1\]"):
        snapshot_epochs(folders, (1,))
    curve = [{"step": 30, "accuracy_mean": 0.95}, {"step": 10, "accuracy_mean": 0.9}]
    curve.append({"step": 20, "accuracy_mean": 0.96})
    assert steps_to_target(curve, 0.95)["step"] == 20
    assert steps_to_target(curve, 0.99) is None


def test_cli_needs_runs(capsys):
    with pytest.raises(SystemExit):
        main(["efficiency", "--seeds", "0"])
    assert "--runs" in capsys.readouterr().err


def test_real_gan_sub_runs_read_the_real_images_from_the_qgan_runs(
    tmp_path, fake_sampling, mnist_bars
):
    # the none row has no pool of its own: its map names the QGAN's last snapshot, whose run
    # folder must hold the split.json that names the real images (none here: refused)
    mnist_bars(tmp_path / "data" / "mnist", per_digit=20, digits=(0, 1, 2), shuffle=False)
    _gan_runs(tmp_path / "gen")
    with pytest.raises(AugmentError, match="hybridq digit 0 .* has no split.json"):
        run_efficiency(_cfg(tmp_path, real="gan"), progress=False)
    mapping = json.loads((tmp_path / "out" / "none" / "map.json").read_text())
    assert list(mapping) == ["hybridq"] and mapping["hybridq"]["2"].endswith(
        "hybridq-mnist-2/epoch002.pt"
    )
    with pytest.raises(AugmentError, match="name them in --runs"):
        runs = tmp_path / "gen" / "dcgan_only.json"
        runs.write_text(json.dumps({"dcgan": {d: f"dcgan-mnist-{d}" for d in "012"}}))
        run_efficiency(_cfg(tmp_path, real="gan", runs=str(runs)), progress=False)
