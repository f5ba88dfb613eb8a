"""Error of the generator's <Z_i> on a noisy fake device, without and with each mitigation.

The HybridQ sub-generators (10 qubits, 6 layers each; weights from ``--checkpoint`` or the
training's seeded U[0, 1) init, inputs U[0, b) with the checkpoint's noise bound b or pi/8) are
transpiled as one wide circuit onto the best disjoint lines of ``--backend`` and simulated with
the device's noise model on only the qubits in use (our PTM engine by default). For each shot
count of ``--shots``, two noisy runs at noise scales 1, 3, 5 (plus the readout calibration):

* ``even``: every scale with all the shots (today's cost of ZNE), which gives ``none`` (raw,
  scale 1), ``readout``, and ``zne`` / ``readout+zne`` per extrapolator, per parameter set and
  pooled over the parameter sets (``transpile.zne.pooled_extrapolate``), all from the same shots;
* ``split``: the same total shots split by ``--scale-shots`` (5:1:1 by default), readout + ZNE
  per parameter set and pooled: the default of ``MitigationConfig``.

Each JSON line: shots, run, setting, extrapolator, pooled, mean and max |<Z>_est - <Z>_exact|
over every (noise vector, qubit), its ratio to ``none``, the shot-noise floor of a raw estimate
at that shot count (sqrt(2/pi) * mean sqrt((1 - z^2) / shots)), and the run's wall time.

    python -m benchmarks.mitigation_bench                        # 10 sub-generators, 64 vectors
    python -m benchmarks.mitigation_bench --n-sub 2 --samples 4 --shots 4096
    python -m benchmarks.mitigation_bench --checkpoint runs/hybridq-isic2019-MEL
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
from qiskit.quantum_info import Statevector

from circuits.ansatz import hybridq_subgenerator
from qgan.checkpoint import load_checkpoint
from qgan.config import add_arguments, from_arguments, opt, parse_list
from transpile.backends import BackendError, get_backend
from transpile.mitigation import MitigationConfig, run_mitigation
from transpile.passes import transpile_generator
from transpile.zne import EXTRAPOLATORS

N_SUB_TRAINED = 10  # sub-generators of the trained generator (qgan.quantum.QuantumConfig.n_sub)


@dataclass(frozen=True)
class BenchConfig:
    backend: str = opt("fake_brisbane", "fake backend (127-qubit Eagle by default)")
    n_sub: int = opt(10, "sub-generators measured (1-10), side by side on disjoint lines")
    # 64: a hardware run's chunk; the pooled regression needs a batch (its noise falls with it)
    samples: int = opt(64, "noise vectors (parameter sets, all in one pub)")
    shots: str = opt("4096,65536", "shot counts, comma-separated: one pair of runs each")
    n_qubits: int = opt(10, "qubits per sub-generator")
    n_layers: int = opt(6, "layers per sub-generator")
    checkpoint: str = opt("", "qgan checkpoint or run folder (default: the training's init)")
    scale_factors: str = opt("1,3,5", "ZNE noise scale factors, comma-separated")
    scale_shots: str = opt("5,1,1", "relative shots per scale of the split run")
    extrapolators: str = opt("linear,richardson,exponential", f"reported, of {EXTRAPOLATORS}")
    twirls: int = opt(0, "Pauli-twirl randomizations (0: off; each one is another circuit)")
    dd: str = opt("none", "dynamical decoupling: none | XX | XpXm | XY4")
    method: str = opt("ptm", "local simulator: ptm (ours) or an Aer method (automatic, ...)")
    seed: int = opt(0, "seed of weights, inputs, transpiler and simulator")

    def __post_init__(self) -> None:
        if not self.scale_values:
            raise ValueError("--scale-factors lists no factor; give e.g. 1,3,5")
        if not self.shot_counts or min(self.shot_counts) < 1:
            raise ValueError("--shots takes shot counts >= 1, e.g. 4096,65536")
        unknown = [e for e in self.extrapolator_names if e not in EXTRAPOLATORS]
        if unknown:
            raise ValueError(
                f"--extrapolators takes names from {', '.join(EXTRAPOLATORS)}; "
                f"got {', '.join(map(repr, unknown))}"
            )
        self.mitigation(self.shot_counts[0], split=True)  # one-line errors for bad settings

    @property
    def scale_values(self) -> tuple[float, ...]:
        return parse_list(self.scale_factors, float, "--scale-factors")

    @property
    def shot_counts(self) -> tuple[int, ...]:
        return parse_list(self.shots, int, "--shots")

    @property
    def extrapolator_names(self) -> tuple[str, ...]:
        return parse_list(self.extrapolators, str, "--extrapolators")

    def mitigation(self, shots: int, *, split: bool) -> MitigationConfig:
        """readout + ZNE at ``shots`` per scale on average, split evenly or by --scale-shots."""
        weights = parse_list(self.scale_shots, float, "--scale-shots") if split else None
        return MitigationConfig(
            readout=True,
            zne=True,
            scale_factors=self.scale_values,
            scale_shots=weights or (1.0,) * len(self.scale_values),
            shots=shots,
            twirling=self.twirls > 0,
            twirls=max(1, self.twirls),
            dd=self.dd != "none",
            dd_sequence=self.dd if self.dd != "none" else "XX",
            method=self.method,
            seed=self.seed,
        )


def run(cfg: BenchConfig) -> list[dict]:
    """For each shot count, the even and the split run; print and return one record per setting."""
    backend = get_backend(cfg.backend)
    weights, bound = _weights(cfg)
    tg = transpile_generator(
        backend, n_sub=cfg.n_sub, n_qubits=cfg.n_qubits, n_layers=cfg.n_layers, seed=cfg.seed
    )
    ansatz, isa, observables = tg.ansatze[0], tg.circuits[0], tg.observables[0]
    rng = np.random.default_rng(cfg.seed + 1)
    inputs = rng.uniform(0.0, bound, (cfg.samples, len(ansatz.inputs)))  # (P, n_sub * n)
    values = _parameter_values(ansatz, isa, inputs, weights)  # (P, n_params)
    exact = _exact(inputs, weights, cfg)  # (P, n_sub * n)
    records = []
    for shots in cfg.shot_counts:
        base = None  # the error of none (raw, scale 1) in the even run: every ratio's reference
        for split in (False, True):
            mit = cfg.mitigation(shots, split=split)
            print(
                f"simulating {cfg.n_sub} x {cfg.n_qubits} qubits on {cfg.backend} lines "
                f"{tg.layout.lines}, {cfg.samples} vectors, scales {mit.scale_factors}, shots "
                f"{mit.shots_per_scale()}",
                file=sys.stderr,
                flush=True,
            )
            result = run_mitigation(isa, observables, values, backend, mit, progress=True)
            common = _context(cfg, result, exact, shots, "split" if split else "even")
            base = base or np.abs(result.estimate(readout=False, zne=False) - exact).mean()
            records += _report(result, exact, cfg, common, split, base)
    return records


def _parameter_values(ansatz, isa, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(P, n_params): each noise vector with the weights, in ``isa.parameters`` order."""
    params = [*ansatz.inputs, *ansatz.weights]
    named = [dict(zip(params, [*x, *weights], strict=True)) for x in inputs]
    return np.array([[d[p] for p in isa.parameters] for d in named])


def _context(cfg: BenchConfig, result, exact: np.ndarray, shots: int, run: str) -> dict:
    """Fields every record of a run shares: the problem, the shot-noise floor, the time."""
    return {
        "shots": shots,
        "run": run,
        "shots_per_scale": result.shots.tolist(),
        "backend": cfg.backend,
        "n_sub": cfg.n_sub,
        "samples": cfg.samples,
        "values": int(exact.size),
        "mean_abs_exact": _r(np.abs(exact).mean()),
        # E|N(0, s^2)| = sqrt(2/pi) s with s^2 = (1 - z^2) / shots: a raw estimate's spread
        "shot_noise_floor": _r(np.sqrt(2 / np.pi) * np.sqrt((1 - exact**2) / shots).mean()),
        "scales": result.scales.tolist(),
        "twirls": cfg.twirls,
        "dd": cfg.dd,
        "method": cfg.method,
        "weights": cfg.checkpoint or "init",
        "seconds": round(result.seconds, 1),
    }


def _settings(cfg: BenchConfig, split: bool) -> list[tuple[str, bool, bool, str | None, bool]]:
    """(label, readout, zne, extrapolator, pooled) of every setting a run reports."""
    if split:
        return [("readout+zne", True, True, "richardson", p) for p in (False, True)]
    out = [("none", False, False, None, False), ("readout", True, False, None, False)]
    for label, readout in (("zne", False), ("readout+zne", True)):
        out += [(label, readout, True, e, False) for e in cfg.extrapolator_names]
    return out + [("readout+zne", True, True, "richardson", True)]


def _report(result, exact, cfg: BenchConfig, common: dict, split: bool, base: float) -> list:
    """One record per setting, with its error ratio to ``none`` (``base``: raw, scale 1, even
    run)."""
    records = []
    for label, readout, zne, extrapolator, pooled in _settings(cfg, split):
        estimate = result.estimate(
            readout=readout, zne=zne, extrapolator=extrapolator, pooled=pooled
        )
        errors = np.abs(estimate - exact)
        rec = {
            "setting": label,
            "extrapolator": extrapolator,
            "pooled": pooled,
            "mean_abs_error": _r(errors.mean()),
            "max_abs_error": _r(errors.max()),
            "improvement_over_none": _r(base / errors.mean()),
            **common,
        }
        print(json.dumps(rec), flush=True)
        records.append(rec)
    return records


def _weights(cfg: BenchConfig) -> tuple[np.ndarray, float]:
    """The first ``n_sub`` sub-generators' weights (n_sub * n * L,) and the noise bound."""
    per_sub = cfg.n_qubits * cfg.n_layers
    if not cfg.checkpoint:
        # the training's init: qgan.quantum draws U[0, 1) for all 10 sub-generators from seed
        init = np.random.default_rng(cfg.seed).uniform(0.0, 1.0, N_SUB_TRAINED * per_sub)
        return init[: cfg.n_sub * per_sub], np.pi / 8
    ckpt = load_checkpoint(cfg.checkpoint)
    # the TorchConnector's weights: "prior.weight" (its alias "prior._weights" is skipped); runs
    # from before the ablation priors named the layer "quantum"
    generator = ckpt.get("generator", {})
    keys = sorted(
        k
        for k in generator
        if k.split(".")[0] in ("prior", "quantum") and k.count(".") == 1 and k.endswith(".weight")
    )
    if not keys:
        raise ValueError(f"{cfg.checkpoint} holds no quantum generator weights (not HybridQ?)")
    weights = generator[keys[0]].detach().cpu().numpy().astype(float)
    if weights.size % per_sub or weights.size // per_sub < cfg.n_sub:
        raise ValueError(
            f"{cfg.checkpoint} has {weights.size} quantum weights, not {per_sub} per sub-generator "
            f"for {cfg.n_sub}: pass the checkpoint's --n-qubits/--n-layers"
        )
    bound = float((ckpt.get("noise") or {}).get("bound") or np.pi / 8)
    return weights[: cfg.n_sub * per_sub], bound


def _exact(inputs: np.ndarray, weights: np.ndarray, cfg: BenchConfig) -> np.ndarray:
    """(P, n_sub * n) exact <Z_i>, one 10-qubit statevector per sub-generator and vector."""
    sub = hybridq_subgenerator(cfg.n_qubits, cfg.n_layers)
    n, per_sub = cfg.n_qubits, cfg.n_qubits * cfg.n_layers
    out = np.zeros(inputs.shape)
    for p, x in enumerate(inputs):
        for g in range(cfg.n_sub):
            bind = dict(zip(sub.inputs, x[g * n : (g + 1) * n], strict=True))
            bind |= dict(zip(sub.weights, weights[g * per_sub : (g + 1) * per_sub], strict=True))
            state = Statevector(sub.circuit.assign_parameters(bind))
            out[p, g * n : (g + 1) * n] = [state.expectation_value(o).real for o in sub.observables]
    return out


def _r(x: float) -> float:
    return round(float(x), 5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, BenchConfig)
    start = time.perf_counter()
    try:
        cfg = from_arguments(parser.parse_args(argv), BenchConfig)
        run(cfg)
    except (BackendError, ValueError, FileNotFoundError) as err:
        raise SystemExit(f"mitigation_bench: {err}") from None
    print(f"done in {time.perf_counter() - start:.0f} s ({asdict(cfg)})", file=sys.stderr)


if __name__ == "__main__":
    main()
