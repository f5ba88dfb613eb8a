"""``--device`` reaches the fast engine from qgan.train, qgan.sample and the benchmarks.

Without CUDA each command refuses ``--device cuda`` in one line naming the device (which shows
the flag got as far as the engine); with a GPU (``pytest -m gpu``) a run trains and samples with
its quantum layer's engine on CUDA.
"""

from __future__ import annotations

import json

import pytest
import torch

from benchmarks.quantum_step import main as quantum_step_main
from benchmarks.train_epoch import main as train_epoch_main
from qgan.checkpoint import load_checkpoint
from qgan.models.sampling import load_generator
from qgan.sample import main as sample_main
from qgan.train import main as train_main
from qgan.training.config import TrainConfig

TINY_RUN = "--dataset synthetic --limit 8 --batch-size 4 --n-layers 1 --max-steps 1".split()
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")


def _one_line_error(main, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    text = str(exc.value.code)
    assert text.startswith("error: ") and "\n" not in text
    return text


def test_the_train_config_carries_the_device_into_the_quantum_config():
    from qgan.models.hybridq import model_config
    from qgan.models.mosaiq import mosaiq_config

    cfg = TrainConfig(device="cuda")
    assert model_config(cfg).quantum.device == "cuda"
    assert mosaiq_config(cfg, (3, 8, 8)).quantum.device == "cuda"
    with pytest.raises(ValueError, match="unknown device 'tpu'; choose one of cpu, cuda"):
        TrainConfig(device="tpu")


@no_cuda
def test_train_with_cuda_absent_exits_in_one_line_before_any_run_folder(tmp_path):
    out = tmp_path / "runs"
    text = _one_line_error(train_main, [*TINY_RUN, "--device", "cuda", "--out", str(out)])
    assert "'cuda' needs a CUDA GPU" in text and not out.exists()


@no_cuda
def test_sample_and_benchmarks_with_cuda_absent_exit_in_one_line(tmp_path):
    train_main([*TINY_RUN, "--out", str(tmp_path)])
    run = tmp_path / "hybridq-synthetic-MEL"
    argv = ["--checkpoint", str(run), "--n", "2", "--out", str(tmp_path / "s"), "--device", "cuda"]
    assert "'cuda' needs a CUDA GPU" in _one_line_error(sample_main, argv)
    assert not (tmp_path / "s").exists()
    argv = ["--sims", "fast", "--batch", "2", "--device", "cuda"]
    assert "'cuda' needs a CUDA GPU" in _one_line_error(quantum_step_main, argv)
    argv = ["--dataset", "synthetic", "--limit", "8", "--n-layers", "1", "--device", "cuda"]
    assert "'cuda' needs a CUDA GPU" in _one_line_error(train_epoch_main, argv)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_run_trains_and_samples_with_its_engine_on_cuda(tmp_path):
    train_main([*TINY_RUN, "--device", "cuda", "--out", str(tmp_path)])
    run = tmp_path / "hybridq-synthetic-MEL"
    ckpt = load_checkpoint(run / "last.pt")
    assert ckpt["model_config"]["quantum"]["device"] == "cuda"
    generator, _ = load_generator(ckpt, device="cuda")
    assert generator.prior.neural_network.estimator._device.type == "cuda"
    argv = ["--checkpoint", str(run), "--n", "2", "--out", str(tmp_path / "s"), "--device", "cuda"]
    sample_main(argv)
    assert (tmp_path / "s" / "samples.npz").is_file()
    assert json.loads((run / "config.json").read_text())["device"] == "cuda"
