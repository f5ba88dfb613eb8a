"""``python -m qgan.sample`` on the checkpoints of a tiny synthetic run (seconds each).

The run (module fixture) trains the real 10 x 10-qubit generator with one layer for two epochs
of two steps, so its epoch001.pt (step 2) and last.pt (step 4) hold different generators.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from qgan.artifacts import save_grid
from qgan.checkpoint import load_checkpoint, save_checkpoint
from qgan.models.config import SampleConfig
from qgan.models.sampling import draw_noise, generate, load_generator, sample
from qgan.sample import main
from qgan.train import main as train_main
from qgan.training.trainer import FIXED_NOISE_SEED

GRID = 8  # the run's per-epoch grid


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    argv = "--dataset synthetic --limit 10 --batch-size 4 --epochs 2 --n-layers 1"
    train_main(argv.split() + ["--grid", str(GRID), "--out", str(out)])
    return out / "hybridq-synthetic-MEL"


def _cfg(checkpoint, n, out, **flags) -> SampleConfig:
    """``python -m qgan.sample``'s config, paths as it takes them."""
    return SampleConfig(checkpoint=str(checkpoint), n=n, out=str(out), **flags)


def _npz(folder):
    with np.load(folder / "samples.npz") as data:
        return {k: data[k] for k in data.files}


def test_writes_n_images_one_npz_and_a_grid(run, tmp_path):
    out = sample(_cfg(run / "last.pt", 5, tmp_path / "s", seed=0, batch_size=2))
    assert sorted(p.name for p in out.glob("img_*.png")) == [f"img_{i:05d}.png" for i in range(5)]
    data = _npz(out)
    images = data["images"]
    assert images.shape == (5, 64, 64, 3) and images.dtype == np.uint8
    assert images.min() >= 0 and images.max() <= 255 and images.std() > 0
    np.testing.assert_array_equal(np.asarray(Image.open(out / "img_00003.png")), images[3])
    bound = load_checkpoint(run / "last.pt")["noise"]["bound"]
    assert float(data["bound"]) == bound
    assert data["noise"].shape == (5, 100) and data["noise"].dtype == np.float32
    assert 0 <= data["noise"].min() and data["noise"].max() < bound
    assert str(data["checkpoint"]) == str(run / "last.pt") and int(data["step"]) == 4
    grid = np.asarray(Image.open(out / "grid.png"))
    assert grid.shape == (2 + 66, 2 + 8 * 66, 3)  # one row of 8 columns, 5 filled


def test_same_seed_same_images_whatever_the_batch_size_other_seed_other_images(run, tmp_path):
    a = _npz(sample(_cfg(run, 4, tmp_path / "a", seed=7, batch_size=3)))
    b = _npz(sample(_cfg(run, 4, tmp_path / "b", seed=7, batch_size=4)))
    c = _npz(sample(_cfg(run, 4, tmp_path / "c", seed=8, batch_size=4)))
    np.testing.assert_array_equal(a["noise"], b["noise"])  # the same draws, bit for bit
    # float32 matrix products round differently for other batch shapes, and the latent
    # standardization divides by a small spread: a pixel may land one grey level apart
    diff = np.abs(a["images"].astype(int) - b["images"].astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
    assert not np.array_equal(a["images"], c["images"])


def test_a_run_folder_means_its_last_pt_and_a_snapshot_its_own_step(run, tmp_path):
    folder = _npz(sample(_cfg(run, 3, tmp_path / "folder")))
    last = _npz(sample(_cfg(run / "last.pt", 3, tmp_path / "last")))
    snap = _npz(sample(_cfg(run / "epoch001.pt", 3, tmp_path / "snap")))
    np.testing.assert_array_equal(folder["images"], last["images"])
    assert int(snap["step"]) == 2 and int(last["step"]) == 4
    assert float(snap["bound"]) == load_checkpoint(run / "epoch001.pt")["noise"]["bound"]
    assert not np.array_equal(snap["images"], last["images"])  # two more steps of training


def test_the_rebuilt_generator_redraws_the_trainers_last_grid(run, tmp_path):
    """Oracle: samples_epoch002.png, drawn by the trainer from its fixed noise at the end."""
    ckpt = load_checkpoint(run / "epoch002.pt")
    generator, model_cfg = load_generator(ckpt)
    seeded = torch.Generator().manual_seed(FIXED_NOISE_SEED)
    fixed = torch.rand(GRID, model_cfg.latent_dim, generator=seeded)  # the trainer's fixed noise
    # one batch, as the trainer draws it: the conv decoder's float32 GEMMs round differently
    # per batch size (a grey level at most; batch-size independence is tested to that level)
    images = generate(generator, fixed * ckpt["noise"]["bound"], batch_size=GRID)
    save_grid(images, tmp_path / "grid.png")
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "grid.png")),
        np.asarray(Image.open(run / "samples_epoch002.png")),
    )


def test_reference_simulator_gives_the_fast_images(run, tmp_path):
    ckpt = load_checkpoint(run / "last.pt")
    noise = draw_noise(3, 100, ckpt["noise"]["bound"], seed=0)
    fast = generate(load_generator(ckpt)[0], noise, batch_size=3)
    reference_gen, model_cfg = load_generator(ckpt, "reference")
    assert model_cfg.quantum.sim == "reference" and ckpt["model_config"]["quantum"]["sim"] == "fast"
    reference = generate(reference_gen, noise, batch_size=3)
    torch.testing.assert_close(reference, fast, rtol=0, atol=1e-5)
    main(["--checkpoint", str(run), "--n", "2", "--out", str(tmp_path / "r"), "--sim", "reference"])
    main(["--checkpoint", str(run), "--n", "2", "--out", str(tmp_path / "f")])
    diff = _npz(tmp_path / "r")["images"].astype(int) - _npz(tmp_path / "f")["images"]
    assert np.abs(diff).max() <= 1  # float agreement to 1e-5 may still round apart


def test_main_writes_and_says_where(run, tmp_path, capsys):
    main(["--checkpoint", str(run), "--n", "3", "--out", str(tmp_path / "m"), "--seed", "1"])
    assert "3 images in" in capsys.readouterr().out
    assert _npz(tmp_path / "m")["images"].shape[0] == 3


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing", "no checkpoint at"),
        ("text", "cannot read checkpoint"),
        ("foreign", "not a qgan checkpoint"),
        ("no-generator", "not a qgan generator checkpoint"),
        ("n0", "--n must be at least 1"),
        ("batch0", "--batch-size must be at least 1"),
        ("taken", "already holds samples"),
    ],
)
def test_bad_inputs_exit_with_one_line(run, tmp_path, case, message):
    checkpoint, n, batch = str(run), "2", "2"
    if case == "missing":
        checkpoint = str(tmp_path / "nothing")
    elif case == "text":
        checkpoint = str(run / "config.json")
    elif case == "foreign":
        torch.save({"model": {}}, tmp_path / "foreign.pt")
        checkpoint = str(tmp_path / "foreign.pt")
    elif case == "no-generator":
        save_checkpoint({"config": {}}, tmp_path / "config_only.pt")
        checkpoint = str(tmp_path / "config_only.pt")
    elif case == "taken":
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "img_00000.png").write_bytes(b"")
    n = "0" if case == "n0" else n
    batch = "0" if case == "batch0" else batch
    argv = ["--checkpoint", checkpoint, "--n", n, "--batch-size", batch, "--out"]
    with pytest.raises(SystemExit) as exc:
        main(argv + [str(tmp_path / "out")])
    text = str(exc.value.code)
    assert text.startswith("error: ") and "\n" not in text
    assert message in text
    assert not (tmp_path / "out" / "samples.npz").exists()


def test_unknown_simulator_or_device_is_refused(run, tmp_path):
    for flag, value in (("--sim", "nope"), ("--device", "tpu")):
        with pytest.raises(SystemExit) as exc:
            main(["--checkpoint", str(run), "--out", str(tmp_path / "o"), flag, value])
        text = str(exc.value.code)
        assert text.startswith(f"error: unknown {flag[2:]} '{value}'; choose one of ")
        assert "\n" not in text and not (tmp_path / "o").exists()
    with pytest.raises(ValueError, match="unknown sim 'nope'"):
        sample(_cfg(run, 1, tmp_path / "o", sim="nope"))
