"""Chunks on a local noisy simulation of a fake backend, through ``transpile.mitigation``.

Each chunk runs every circuit once with all of the chunk's parameter sets (one batch per qubit
group, noise scale and measurement basis, not one job per image; Aer jobs with --method), on the
backend's device noise model reduced to the qubits in use, and keeps both the raw and the
mitigated estimates. Cost on a 2-core CPU with the batched PTM engine (the default method):
about 0.05-0.08 s per 10-qubit group, parameter set and noise scale on fake_brisbane (Aer's
density matrix: 1.5-3 s), so ``workload`` is printed up front and the chunk bar shows the rate
and ETA.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from qiskit.providers import BackendV2

from qgan.hardware.jobs import Chunk
from transpile.mitigation import MitigationConfig, run_mitigation
from transpile.noisy import qubit_groups
from transpile.passes import TranspiledGenerator


class LocalExecutor:
    """Runs a chunk synchronously on the local noisy simulator (no job ids)."""

    asynchronous = False

    def __init__(self, backend: BackendV2, transpiled: TranspiledGenerator, cfg: MitigationConfig):
        self.backend, self.transpiled, self.cfg = backend, transpiled, cfg

    def run(self, chunk: Chunk, values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(raw (P, O), mitigated (P, O)) of the chunk, circuits' observables side by side."""
        circuits = self.transpiled.circuits
        raws, mits = [], []
        for i, (isa, obs, vals) in enumerate(
            zip(circuits, self.transpiled.observables, values, strict=True)
        ):
            # a stream of its own per chunk and circuit: equal seeds would repeat shot noise
            seed = int(np.random.SeedSequence([self.cfg.seed, chunk.index, i]).generate_state(1)[0])
            cfg = dataclasses.replace(self.cfg, seed=seed)
            result = run_mitigation(isa, obs, vals, self.backend, cfg, progress=len(circuits) == 1)
            raws.append(result.estimate(readout=False, zne=False))
            mits.append(result.estimate())
        return np.concatenate(raws, axis=1), np.concatenate(mits, axis=1)

    def submit(self, chunk: Chunk, values: list[np.ndarray]) -> str:
        raise NotImplementedError("a local simulation has no jobs to submit")

    def collect(self, job_id: str) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError("a local simulation has no jobs to collect")


def workload(transpiled: TranspiledGenerator, cfg: MitigationConfig, n: int) -> str:
    """One line: how many group simulations the run needs (what its time is proportional to)."""
    groups = sum(len(qubit_groups(c)) for c in transpiled.circuits)
    widest = max(len(g) for c in transpiled.circuits for g in qubit_groups(c))
    scales = len(cfg.scales)
    twirls = cfg.twirls if cfg.twirling else 1
    sims = groups * n * scales * twirls
    each = (
        "~0.05-0.08 s each for 10 qubits on a 2-core CPU (PTM engine)"
        if cfg.method == "ptm"
        else "~1.5-3 s each for 10 qubits on a 2-core CPU (Aer)"
    )
    return (
        f"local noisy simulation: {groups} qubit groups (up to {widest} qubits) x {n} images x "
        f"{scales} noise scale(s)"
        + (f" x {twirls} twirls" if cfg.twirling else "")
        + f" = {sims} group simulations ({each})"
    )
