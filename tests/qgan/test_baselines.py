"""DCGAN and MosaiQ through ``python -m qgan.train`` and ``python -m qgan.sample`` (seconds each).

Tiny synthetic runs: DCGAN on 8 MEL training images (``--limit 10``, 2 steps of 4), MosaiQ on
112 (``--limit 140``: its PCA needs more images than its 100 components; 2 steps of 56) with
one layer per sub-generator. Oracles: the paper's parameter counts, the trainer's own last grid
redrawn from the checkpoint alone, and a straight run for resumed ones.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from qgan.artifacts import save_grid, to_uint8_images
from qgan.checkpoint import load_checkpoint
from qgan.evaluation.samplers import generate_images
from qgan.models.sampling import load_generator, sample_images
from qgan.registry import MODELS, learning_rates
from qgan.sample import main as sample_main
from qgan.train import main
from qgan.training.config import TrainConfig
from qgan.training.trainer import FIXED_NOISE_SEED

pytestmark = pytest.mark.usefixtures("no_qgan_data")

GRID = 8
FLAGS = {
    "dcgan": {"limit": 10, "batch_size": 4},
    "mosaiq": {"limit": 140, "batch_size": 56, "n_layers": 1},
}
BASE = {"dataset": "synthetic", "epochs": 1, "max_steps": 2, "grid": GRID}
STEP_KEYS = {"d_loss", "g_total", "g_adversarial", "sec_per_step", "step", "epoch"}
STEP_KEYS |= {"d_real", "d_fake", "d_accuracy", "d_separated"}  # the game's health
SNAPSHOT_KEYS = {"config", "model_config", "generator", "noise", "position", "parameters", "format"}


def _argv(flags: dict) -> list[str]:
    return [x for k, v in flags.items() for x in (f"--{k.replace('_', '-')}", str(v))]


def _train(model: str, out: Path, **overrides) -> Path:
    flags = BASE | {"model": model} | FLAGS[model] | overrides | {"out": str(out)}
    main(_argv(flags))
    return out / f"{model}-synthetic-MEL"


def _metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module", params=["dcgan", "mosaiq"])
def run(request, tmp_path_factory) -> Path:
    """One epoch of 2 steps of each baseline, through the CLI."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("QGAN_DATA", raising=False)
        return _train(request.param, tmp_path_factory.mktemp(request.param))


def _model(run: Path) -> str:
    return run.name.split("-")[0]


# ------------------------------------------------------------------------------ training
def test_two_steps_write_every_artifact(run, assert_same):
    model = _model(run)
    flags = BASE | {"model": model} | FLAGS[model] | {"out": str(run.parent)}
    config = json.loads((run / "config.json").read_text())
    assert config == dataclasses.asdict(TrainConfig(**flags).resolved())
    own = learning_rates(model, MODELS[model].objective)
    own = {k: v or 0.0 for k, v in own.items()}
    assert {k: config[k] for k in own} == own  # the model's own learning rates, recorded
    assert config["objective"] == "paper"  # the baselines play their papers' game
    assert json.loads((run / "split.json").read_text())
    metrics = _metrics(run)
    assert [(m["step"], m["epoch"]) for m in metrics] == [(1, 0), (2, 0)]
    adaptive = {"noise_bound"} if model == "mosaiq" else set()  # DCGAN's N(0, 1) stays
    assert all(set(m) == STEP_KEYS | adaptive for m in metrics)
    last = load_checkpoint(run / "last.pt")
    assert last["position"] == {"step": 2, "epoch": 1, "batch": 0}
    assert {"opt_g", "opt_d", "discriminator", "rng"} <= set(last)
    snap = load_checkpoint(run / "epoch001.pt")
    assert set(snap) == SNAPSHOT_KEYS
    assert_same(snap["generator"], last["generator"])
    for name in ("samples_epoch001.png", "loss_curve.png"):
        assert (run / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_parameter_counts_are_the_papers(run):
    counts = load_checkpoint(run / "last.pt")["parameters"]
    if _model(run) == "dcgan":  # HybridQ Sec. 4.1: "DCGAN (6.3M parameters)"
        assert counts == {"generator": 3_576_704, "discriminator": 2_765_568, "total": 6_342_272}
    else:  # one layer here: 10 x 10 quantum weights; the MLP 100 -> 64 -> 16 -> 1
        assert counts == {"quantum": 100, "discriminator": 7_521, "total": 7_621}


@pytest.mark.parametrize("run", ["mosaiq"], indirect=True)
def test_mosaiq_checkpoint_carries_its_pca(run):
    generator = load_checkpoint(run / "epoch001.pt")["generator"]
    assert generator["pca.components"].shape == (100, 3 * 64 * 64)
    assert generator["pca.mean"].shape == (3 * 64 * 64,)
    low, high = generator["coef_range"].tolist()
    assert low < 0 < high


@pytest.mark.parametrize(
    "model, flags",
    [
        ("dcgan", {"limit": 16}),
        # the loop is shared; MosaiQ adds PCA buffers and SGD state (about 20 s: slow)
        pytest.param("mosaiq", {"batch_size": 37}, marks=pytest.mark.slow),
    ],
    ids=["dcgan", "mosaiq"],
)
def test_resume_mid_epoch_continues_exactly(tmp_path, model, flags, assert_same):
    """3 steps per epoch; stopped after step 2 and resumed to step 4 = 4 steps straight."""
    straight = _train(model, tmp_path / "a", epochs=2, max_steps=4, **flags)
    resumed = _train(model, tmp_path / "b", epochs=2, max_steps=2, **flags)
    assert load_checkpoint(resumed / "last.pt")["position"] == {"step": 2, "epoch": 0, "batch": 2}
    main(["--resume", str(resumed), "--epochs", "2", "--max-steps", "4"])
    a, b = load_checkpoint(straight / "last.pt"), load_checkpoint(resumed / "last.pt")
    for key in ("generator", "discriminator", "opt_g", "opt_d", "noise", "position"):
        assert_same(a[key], b[key], key)
    assert_same(a["rng"]["noise"], b["rng"]["noise"], "rng.noise")
    drop = {"sec_per_step"}
    ma, mb = _metrics(straight), _metrics(resumed)
    assert [m["step"] for m in mb] == [1, 2, 3, 4]
    for x, y in zip(ma, mb, strict=True):
        assert {k: v for k, v in x.items() if k not in drop} == {
            k: v for k, v in y.items() if k not in drop
        }


# ------------------------------------------------------------------------------ sampling
def _npz(folder: Path) -> dict:
    with np.load(folder / "samples.npz") as data:
        return {k: data[k] for k in data.files}


def test_sample_cli_writes_images_of_the_models_own_noise(run, tmp_path, capsys):
    sample_main(["--checkpoint", str(run), "--n", "3", "--out", str(tmp_path / "s")])
    assert "3 images in" in capsys.readouterr().out
    data = _npz(tmp_path / "s")
    assert data["images"].shape == (3, 64, 64, 3) and data["images"].dtype == np.uint8
    assert data["images"].std() > 0
    last = load_checkpoint(run / "last.pt")
    if _model(run) == "dcgan":
        assert str(data["noise_kind"]) == "normal" and "bound" not in data
        assert data["noise"].shape == (3, 100) and data["noise"].min() < 0  # N(0, 1)
    else:
        bound = last["noise"]["bound"]
        assert str(data["noise_kind"]) == "uniform" and float(data["bound"]) == bound
        assert data["noise"].shape == (3, 10)  # the angles every sub-generator reads
        assert 0 <= data["noise"].min() and data["noise"].max() < bound
    sample_main(
        ["--checkpoint", str(run), "--n", "3", "--out", str(tmp_path / "t"), "--batch-size", "2"]
    )
    np.testing.assert_array_equal(_npz(tmp_path / "t")["images"], data["images"])


def test_the_rebuilt_generator_redraws_the_trainers_last_grid(run, tmp_path):
    """Oracle: samples_epoch001.png, drawn by the trainer from its fixed noise at the end."""
    ckpt = load_checkpoint(run / "epoch001.pt")
    generator, model_cfg = load_generator(ckpt)
    fixed = torch.Generator().manual_seed(FIXED_NOISE_SEED)
    if _model(run) == "dcgan":
        noise = torch.randn(GRID, model_cfg.latent_dim, generator=fixed)
    else:
        noise = torch.rand(GRID, model_cfg.latent_dim, generator=fixed) * ckpt["noise"]["bound"]
    with torch.no_grad():
        save_grid(generator(noise), tmp_path / "grid.png")
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "grid.png")),
        np.asarray(Image.open(run / "samples_epoch001.png")),
    )


def test_evaluation_draws_baseline_images_through_qgan_sample(run):
    ckpt = load_checkpoint(run / "last.pt")
    images = generate_images(ckpt, 4, seed=3, batch_size=2)
    expected = to_uint8_images(sample_images(ckpt, 4, seed=3)[0])
    np.testing.assert_array_equal(images, expected)


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "flags, message",
    [
        ({"model": "nope"}, "unknown model 'nope'; choose one of hybridq, dcgan, mosaiq"),
        ({"model": "dcgan", "lr_quantum": 0.1}, "--lr-quantum does not apply to dcgan"),
        ({"model": "mosaiq", "lr_classical": 0.1}, "--lr-classical does not apply to mosaiq"),
        ({"model": "mosaiq", "limit": 10}, "needs more than 100; got 8"),
        ({"model": "dcgan", "image_size": 50}, "(--image-size 64, 32 or 28)"),
        ({"model": "hybridq", "image_size": 36}, "(--image-size 64, 32 or 28)"),
    ],
)
def test_bad_model_flags_exit_with_one_line_and_make_nothing(tmp_path, flags, message):
    argv = _argv(BASE | {"limit": 10} | flags | {"out": str(tmp_path / "runs")})
    with pytest.raises(SystemExit) as exc:
        main(argv)
    text = str(exc.value.code)
    assert text.startswith("error: ") and "\n" not in text
    assert message in text
    assert not (tmp_path / "runs").exists()


# ------------------------------------------------------------------------------ digits
def _write_idx(path: Path, array: np.ndarray) -> None:
    """The MNIST idx format: 0, 0, 0x08 (ubyte), ndim, big-endian uint32 dims, the bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("model", ["hybridq", "dcgan"])
def test_28x28_grayscale_digits_train_and_sample_at_their_size(tmp_path, monkeypatch, model):
    """The digit GANs of the HQCNN experiment: 1-channel 28x28 images in, the same out."""
    root = tmp_path / "data" / "mnist"
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    _write_idx(root / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (60, 28, 28)))
    _write_idx(root / "t10k-labels-idx1-ubyte.gz", np.arange(60) % 3)
    monkeypatch.setenv("QGAN_DATA", str(tmp_path / "data"))
    flags = {
        "model": model,
        "dataset": "mnist",
        "classes": "0,1,2",
        "cls": "0",
        "image_size": 28,
        "epochs": 1,
        "max_steps": 2,
        "batch_size": 8,
        "grid": 4,
        "out": str(tmp_path / "runs"),
    }
    main(_argv(flags))
    run = tmp_path / "runs" / f"{model}-mnist-0"
    assert Image.open(run / "samples_epoch001.png").mode == "L"
    sample_main(["--checkpoint", str(run), "--n", "3", "--out", str(tmp_path / "s")])
    images = _npz(tmp_path / "s")["images"]
    assert images.shape == (3, 28, 28, 1) and images.dtype == np.uint8 and images.std() > 0
