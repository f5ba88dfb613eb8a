"""Smoke test of the mitigation benchmark on a tiny problem: one record per setting, weights from
the training's init or a checkpoint, and one-line errors for a checkpoint that does not fit."""

import json

import numpy as np
import pytest
import torch

from benchmarks.mitigation_bench import BenchConfig, _weights, main, run
from qgan.checkpoint import save_checkpoint

TINY = {
    "backend": "fake_manila",
    "n_sub": 1,
    "samples": 2,
    "n_qubits": 3,
    "n_layers": 1,
    "shots": "256",
    "extrapolators": "linear,richardson",
}


def test_records_cover_every_setting(capsys):
    records = run(BenchConfig(**TINY))
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert printed == records
    assert [(r["run"], r["setting"], r["extrapolator"], r["pooled"]) for r in records] == [
        ("even", "none", None, False),
        ("even", "readout", None, False),
        ("even", "zne", "linear", False),
        ("even", "zne", "richardson", False),
        ("even", "readout+zne", "linear", False),
        ("even", "readout+zne", "richardson", False),
        ("even", "readout+zne", "richardson", True),
        ("split", "readout+zne", "richardson", False),
        ("split", "readout+zne", "richardson", True),
    ]
    assert records[0]["improvement_over_none"] == 1.0
    assert records[0]["shots_per_scale"] == [256, 256, 256]
    assert records[-1]["shots_per_scale"] == [549, 110, 110]  # 3 x 256 split 5:1:1
    for rec in records:
        assert rec["values"] == 6 and rec["scales"] == [1.0, 3.0, 5.0] and rec["shots"] == 256
        assert 0 <= rec["mean_abs_error"] <= rec["max_abs_error"] <= 2


def test_weights_from_init_and_from_a_checkpoint(tmp_path):
    cfg = BenchConfig(**TINY)
    init, bound = _weights(cfg)
    np.testing.assert_array_equal(init, np.random.default_rng(0).uniform(0, 1, 30)[:3])
    assert bound == pytest.approx(np.pi / 8)
    weights = torch.arange(30, dtype=torch.float64) / 30
    ckpt = {"config": {}, "generator": {"quantum.weight": weights}, "noise": {"bound": 0.5}}
    save_checkpoint(ckpt, tmp_path / "last.pt")
    loaded, bound = _weights(BenchConfig(**{**TINY, "checkpoint": str(tmp_path)}))
    np.testing.assert_allclose(loaded, weights.numpy()[:3])
    assert bound == 0.5


def test_a_checkpoint_that_does_not_fit_fails_in_one_line(tmp_path):
    ckpt = {"config": {}, "generator": {"quantum.weight": torch.zeros(7)}}
    save_checkpoint(ckpt, tmp_path / "bad.pt")
    with pytest.raises(SystemExit) as err:
        main(["--checkpoint", str(tmp_path / "bad.pt"), "--n-qubits", "3", "--n-layers", "1"])
    assert "7 quantum weights" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(SystemExit, match="no checkpoint"):
        main(["--checkpoint", str(tmp_path / "missing.pt")])
