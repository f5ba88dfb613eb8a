"""Noisy inference at FID scale: a class's images through a fake device's noise, timed.

What ``python -m qgan.hardware_infer --backend fake_brisbane`` spends its time on: the quantum
layer of the HybridQ generator (10 sub-generators of 10 qubits, one wide circuit on the device's
best lines) for ``--n`` noise vectors, each chunk of ``--chunk`` run by the same
``qgan.hardware.local.LocalExecutor`` with readout mitigation (4096 shots), on our batched PTM
engine. Today's path, Aer's simulator (method automatic) in chunks of 4, is timed in the same
run on ``--baseline-n`` images, and the two are compared on those images.

The machine is shared, so the line holds wall and CPU time (process time, all threads), the
load average before and after, and per-image figures of both; the CPU time per image is the
honest figure under load. One JSON line:

    python -m benchmarks.noisy_inference_bench                  # 1000 images, baseline 2
    python -m benchmarks.noisy_inference_bench --n 64 --baseline-n 1
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from qgan.config import add_arguments, from_arguments, opt
from qgan.hardware.generator import circuit_values
from qgan.hardware.jobs import chunks
from qgan.hardware.local import LocalExecutor
from transpile.backends import BackendError, get_backend
from transpile.mitigation_config import MitigationConfig
from transpile.passes import transpile_generator

TODAY_CHUNK = 4  # what a local chunk was before the batched engine


@dataclass(frozen=True)
class BenchConfig:
    backend: str = opt("fake_brisbane", "fake backend")
    n: int = opt(1000, "images (noise vectors) on the fast path")
    baseline_n: int = opt(2, "images on today's path (Aer), for the ratio (0: skip)")
    shots: int = opt(4096, "shots per circuit and image")
    chunk: int = opt(64, "images per local chunk (hardware_infer's automatic --chunk)")
    n_sub: int = opt(10, "sub-generators (the trained generator's 10)")
    n_qubits: int = opt(10, "qubits per sub-generator")
    n_layers: int = opt(6, "layers per sub-generator")
    seed: int = opt(0, "seed of weights, noise, transpiler and simulator")

    def __post_init__(self) -> None:
        if min(self.n, self.shots, self.chunk, self.n_sub, self.n_qubits, self.n_layers) < 1:
            raise ValueError("--n, --shots, --chunk and the circuit's sizes must be >= 1")
        if self.baseline_n < 0:
            raise ValueError("--baseline-n must be >= 0")


def run(cfg: BenchConfig) -> dict:
    """Time both paths; print and return the record."""
    backend = get_backend(cfg.backend)
    transpiled = transpile_generator(
        backend, n_sub=cfg.n_sub, n_qubits=cfg.n_qubits, n_layers=cfg.n_layers, seed=cfg.seed
    )
    rng = np.random.default_rng(cfg.seed)
    latent = cfg.n_sub * cfg.n_qubits
    weights = rng.uniform(0.0, 1.0, latent * cfg.n_layers)  # the training's init draw
    noise = rng.uniform(0.0, np.pi / 8, (cfg.n, latent))  # HybridQ's U[0, b)
    fast_cfg = MitigationConfig(shots=cfg.shots, seed=cfg.seed)
    fast = _timed(backend, transpiled, fast_cfg, noise, weights, cfg.chunk)
    record = {
        "backend": cfg.backend,
        "images": cfg.n,
        "sub_generators": cfg.n_sub,
        "qubits": cfg.n_qubits,
        "layers": cfg.n_layers,
        "shots": cfg.shots,
        "mitigation": fast_cfg.label,
        "chunk": cfg.chunk,
        "cpus": os.cpu_count(),
        **_prefixed("fast", fast, cfg.n),
    }
    if cfg.baseline_n:
        today_cfg = dataclasses.replace(fast_cfg, method="automatic")
        rows = noise[: cfg.baseline_n]
        today = _timed(backend, transpiled, today_cfg, rows, weights, TODAY_CHUNK)
        record |= _prefixed("today", today, cfg.baseline_n)
        record["speedup_wall"] = round(
            record["today_wall_s_per_image"] / record["fast_wall_s_per_image"], 1
        )
        record["speedup_cpu"] = round(
            record["today_cpu_s_per_image"] / record["fast_cpu_s_per_image"], 1
        )
        # both are noisy estimates of the same <Z>: their difference is shot noise alone
        diff = np.abs(fast["z"][: cfg.baseline_n] - today["z"])
        record["mean_abs_dz_fast_vs_today"] = round(float(diff.mean()), 5)
        record["expected_from_shot_noise"] = round(
            float(np.sqrt(2 / np.pi) * np.sqrt(2 * (1.12 - today["z"] ** 2) / cfg.shots).mean()), 5
        )  # E|N(0, 2 s^2)| with s^2 = (A^2 - z^2) / shots, A ~ 1.06 the readout weights' size
    record["minutes_for_1000_wall"] = round(record["fast_wall_s_per_image"] * 1000 / 60, 1)
    print(json.dumps(record), flush=True)
    return record


def _timed(backend, transpiled, mitigation, noise, weights, chunk) -> dict:
    """<Z> (N, 100) of ``noise`` through the local executor, with wall/CPU time and load."""
    executor = LocalExecutor(backend, transpiled, mitigation)
    ansatz, isa = transpiled.ansatze[0], transpiled.circuits[0]
    load_before = os.getloadavg()
    wall, cpu = time.perf_counter(), time.process_time()
    out = []
    for c in chunks(len(noise), chunk):
        values = circuit_values(ansatz, isa, noise[c.start : c.stop], weights, None)
        out.append(executor.run(c, [values])[1])
        print(
            f"  {mitigation.method}: {c.stop}/{len(noise)} images, "
            f"{time.perf_counter() - wall:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    return {
        "z": np.concatenate(out),
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "load": [load_before, os.getloadavg()],
    }


def _prefixed(name: str, timing: dict, n: int) -> dict:
    return {
        f"{name}_wall_s": round(timing["wall"], 3),
        f"{name}_cpu_s": round(timing["cpu"], 3),
        f"{name}_wall_s_per_image": round(timing["wall"] / n, 3),
        f"{name}_cpu_s_per_image": round(timing["cpu"] / n, 3),
        f"{name}_loadavg_1min_before_after": [round(x[0], 2) for x in timing["load"]],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, BenchConfig)
    try:
        run(from_arguments(parser.parse_args(argv), BenchConfig))
    except (BackendError, ValueError) as err:
        raise SystemExit(f"noisy_inference_bench: {err}") from None


if __name__ == "__main__":
    main()
