"""One HybridQ training epoch on ISIC 2019 MEL (64x64, batch 64), quantum vs classical time.

Prints one JSON line: the epoch's wall seconds, the part spent in the quantum layer (forward
and backward of the 10 x 10-qubit generator) and the rest (encoder, decoder, discriminator,
losses, optimizers). The target is at most 60 s per epoch with the ``fast`` simulator on a
2-core CPU, so that 100 epochs of one class fit in under two hours.

    python -m benchmarks.train_epoch                       # data from $QGAN_DATA or ../shared/data
    python -m benchmarks.train_epoch --sim fast --dtype float32
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from qgan.data import DataConfig, DataError, class_subset, load_train_test
from qgan.training.config import TrainConfig
from qgan.training.trainer import Trainer

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _images(cfg: TrainConfig):
    """The MEL training split, or a synthetic stand-in of the same size when absent."""
    root = cfg.data_root or os.environ.get("QGAN_DATA") or str(DEFAULT_ROOT)
    data_cfg = DataConfig(dataset="isic2019", data_root=root, classes=("MEL", "NV", "BCC"))
    try:
        train, _, _ = load_train_test(data_cfg)
        return class_subset(train, "MEL").tensor(), "isic2019"
    except DataError as exc:
        print(f"# ISIC 2019 not found ({exc}); timing the synthetic set at MEL's size instead")
        synth = DataConfig(dataset="synthetic", classes=("MEL",), limit=890)
        train, _, _ = load_train_test(synth)
        return train.tensor(), "synthetic"


def run(cfg: TrainConfig) -> dict:
    images, dataset = _images(cfg)
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
        "name": "train_epoch", "dataset": dataset, "cls": "MEL", "images": len(images),
        "batch": cfg.batch_size, "steps": trainer.steps_per_epoch, "sim": cfg.sim,
        "dtype": cfg.dtype, "seconds": round(seconds, 3), "quantum_seconds": round(quantum, 3),
        "classical_seconds": round(seconds - quantum, 3), "target_seconds": 60,
        "hours_per_100_epochs": round(seconds * 100 / 3600, 2),
    }  # fmt: skip
    print(json.dumps(record), flush=True)
    return record


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sim", default="fast", help="quantum simulator (default: fast)")
    parser.add_argument("--dtype", default="float64", help="fast engine arithmetic")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step")
    parser.add_argument("--data-root", default="", help="ISIC 2019 folder or its parent")
    args = parser.parse_args(argv)
    try:
        cfg = TrainConfig(sim=args.sim, dtype=args.dtype, batch_size=args.batch_size,
                          data_root=args.data_root)  # fmt: skip
    except ValueError as err:
        raise SystemExit(f"train_epoch: {err}") from None
    run(cfg)


if __name__ == "__main__":
    main()
