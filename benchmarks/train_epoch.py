"""One HybridQ training epoch on ISIC 2019 MEL (64x64, batch 64), quantum vs classical time.

Prints one JSON line: the epoch's wall seconds, the part spent in the quantum layer (forward
and backward of the 10 x 10-qubit generator) and the rest (encoder, decoder, discriminator,
losses, optimizers). The target is at most 60 s per epoch with the ``fast`` simulator on a
2-core CPU, so that 100 epochs of one class fit in under two hours.

    python -m benchmarks.train_epoch             # ISIC 2019 from $QGAN_DATA, else ../shared/data
    python -m benchmarks.train_epoch --sim fast --dtype float32 --device cuda

It takes every flag of ``python -m qgan.train`` (data, model, simulator, batch size, ...) and
times one epoch of ``--cls``.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from pathlib import Path

from qgan.config import command, run_command
from qgan.data import DataError, DataSection, class_subset, data_root, load_train_test
from qgan.training.config import TrainConfig
from qgan.training.trainer import Trainer

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _images(cfg: TrainConfig):
    """(the class's training images, the run config), or a synthetic stand-in of MEL's size when
    its data set is absent."""
    cfg = dataclasses.replace(cfg, data_root=data_root(cfg.data_root) or str(DEFAULT_ROOT))
    cfg = cfg.resolved()
    try:
        train, _, _ = load_train_test(cfg.data_config())
        return class_subset(train, cfg.cls).tensor(), cfg
    except DataError as exc:
        print(f"# {cfg.dataset} not found ({exc}); timing the synthetic set at MEL's size instead")
        synth = DataSection(dataset="synthetic", classes="MEL", limit=890).resolved()
        train, _, _ = load_train_test(synth.data_config())
        return train.tensor(), dataclasses.replace(cfg, dataset="synthetic", cls="MEL")


def run(cfg: TrainConfig) -> dict:
    images, cfg = _images(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, images, Path(tmp))
        trainer.step(images[: cfg.batch_size])  # warm-up: compiles the circuit, fills caches
        trainer.generator.prior.timing.update(forward=0.0, backward=0.0)
        start = time.perf_counter()
        order = range(trainer.steps_per_epoch)
        for b in order:
            trainer.step(images[b * cfg.batch_size : (b + 1) * cfg.batch_size])
        seconds = time.perf_counter() - start
    timing = trainer.generator.prior.timing
    quantum = timing["forward"] + timing["backward"]
    record = {
        "name": "train_epoch",
        "dataset": cfg.dataset,
        "cls": cfg.cls,
        "images": len(images),
        "batch": cfg.batch_size,
        "steps": trainer.steps_per_epoch,
        "sim": cfg.sim,
        "dtype": cfg.dtype,
        "device": cfg.device,
        "seconds": round(seconds, 3),
        "quantum_seconds": round(quantum, 3),
        "classical_seconds": round(seconds - quantum, 3),
        "target_seconds": 60,
        "hours_per_100_epochs": round(seconds * 100 / 3600, 2),
    }
    return record


def main(argv: list[str] | None = None) -> None:
    parser = command("benchmarks.train_epoch", __doc__, TrainConfig)
    run_command(parser, TrainConfig, argv, lambda cfg, flags: json.dumps(run(cfg)))


if __name__ == "__main__":
    main()
