"""One HybridQ generator step (forward + weight and input gradients) on every simulator.

The generator is 10 sub-generators x 10 qubits x 6 layers (one 100-qubit circuit of disjoint
blocks), batch 64. Each line is one JSON object: name, batch, seconds (median of repeats, after a
warm-up), ratio_to_engine (seconds / the bare engine's). Rows marked "scaled" were measured on a
smaller batch (and, for the library's parameter shift, on one sub-generator) and scaled linearly
per sample and per sub-generator, because running them at full size takes hours.

    python -m benchmarks.quantum_step            # full run
    python -m benchmarks.quantum_step --quick    # under a minute
    python -m benchmarks.quantum_step --device cuda --sims fast,engine,aer-gpu
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import time
from dataclasses import dataclass

import numpy as np
import torch

from circuits.ansatz import generator_circuit, hybridq_subgenerator
from circuits.engine import Engine
from circuits.gradients import as_observable
from qgan.config import command, opt, parse_list, run_command
from qgan.models.config import DEVICES, QuantumConfig
from qgan.models.quantum import QuantumLayer, build_qnn, require_device

N_SUB, N_QUBITS, N_LAYERS = 10, 10, 6
SIMS = (
    "engine",
    "engine-jacobian",
    "fast",
    "fast-jacobian",
    "aer",
    "aer-gpu",
    "reference",
    "aer-library",
)


@dataclass(frozen=True)
class BenchConfig:
    batch: int = opt(64, "samples per generator step")
    repeats: int = opt(5, "timed repeats after one warm-up; the median is reported")
    slow_batch: int = opt(4, "batch measured for aer/aer-gpu, scaled to --batch")
    library_batch: int = opt(1, "batch measured for the library's parameter shift, scaled")
    device: str = opt("cpu", f"torch device of the engine and fast layer: {' | '.join(DEVICES)}")
    dtype: str = opt("float64", "engine arithmetic (float64, float32)")
    sims: str = opt(
        "engine,engine-jacobian,fast,fast-jacobian,aer,reference,aer-library",
        "comma-separated settings to measure (also: aer-gpu)",
    )
    seed: int = opt(0, "seed of inputs, weights and upstream gradients")

    def __post_init__(self) -> None:
        unknown = [s for s in self.sim_names if s not in SIMS]
        if unknown or not self.sim_names:
            raise ValueError(f"--sims takes settings from {', '.join(SIMS)}; got {self.sims!r}")

    @property
    def sim_names(self) -> tuple[str, ...]:
        return parse_list(self.sims, str, "--sims")


def _time(fn, repeats: int) -> float:
    fn()  # warm-up: compiles circuits, fills caches
    samples = []
    for _ in range(repeats):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _inputs(batch: int, n_inputs: int, seed: int) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    return torch.as_tensor(rng.uniform(0, np.pi / 8, (batch, n_inputs)))  # MosaiQ noise range


def engine_step(cfg: BenchConfig, jacobian: bool):
    """The bare engine: values + VJP (what training needs) or the full Jacobian."""
    ansatz = generator_circuit(N_SUB, N_QUBITS, N_LAYERS)
    params = list(ansatz.inputs) + list(ansatz.weights)
    dtype = {"float64": torch.float64, "float32": torch.float32}[cfg.dtype]
    engine = Engine(ansatz.circuit, params, dtype=dtype, device=cfg.device)
    obs = [as_observable(o) for o in ansatz.observables]
    rng = np.random.default_rng(cfg.seed)
    x = _inputs(cfg.batch, len(ansatz.inputs), cfg.seed).numpy()
    w = np.broadcast_to(rng.uniform(0, 1, len(ansatz.weights)), (cfg.batch, len(ansatz.weights)))
    values = np.concatenate([x, w], axis=1)
    cot = rng.normal(size=(cfg.batch, len(obs)))

    def step():
        engine.forget()  # the floor is a full forward + backward sweep, nothing remembered
        return engine.jacobian(values, obs) if jacobian else engine.vjp(values, obs, cot)

    return step


def layer_step(sim: str, batch: int, cfg: BenchConfig, vjp: bool = True, ansatz=None):
    """Forward + backward of the quantum layer (EstimatorQNN + TorchConnector)."""
    ansatz = ansatz or generator_circuit(N_SUB, N_QUBITS, N_LAYERS)
    engine = {"dtype": cfg.dtype, "device": cfg.device} if sim == "fast" else {}
    qnn = build_qnn(ansatz, sim, cfg.seed, **engine)
    weights = np.random.default_rng(cfg.seed).uniform(0, 1, qnn.num_weights)
    layer = QuantumLayer(qnn, initial_weights=weights, vjp=vjp)
    x = _inputs(batch, qnn.num_inputs, cfg.seed).float().requires_grad_(True)
    cot = torch.as_tensor(np.random.default_rng(cfg.seed).normal(size=(batch, qnn.output_shape[0])))

    def step():
        layer.zero_grad()
        x.grad = None
        (layer(x) * cot.to(x.dtype)).sum().backward()

    return step


def library_step(sim: str, cfg: BenchConfig):
    """qiskit-machine-learning's own parameter shift on ONE sub-generator (scaled by 10 later)."""
    from qiskit.primitives import StatevectorEstimator
    from qiskit_aer.primitives import EstimatorV2 as AerEstimator
    from qiskit_machine_learning.connectors import TorchConnector
    from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient
    from qiskit_machine_learning.neural_networks import EstimatorQNN

    sub = hybridq_subgenerator(N_QUBITS, N_LAYERS)
    est = StatevectorEstimator(seed=cfg.seed) if sim == "reference" else AerEstimator()
    qnn = EstimatorQNN(
        circuit=sub.circuit,
        estimator=est,
        observables=list(sub.observables),
        input_params=list(sub.inputs),
        weight_params=list(sub.weights),
        gradient=ParamShiftEstimatorGradient(est),
        input_gradients=True,
        default_precision=0.0,
    )
    layer = TorchConnector(qnn, initial_weights=np.random.default_rng(0).uniform(0, 1, 60))
    x = _inputs(cfg.library_batch, N_QUBITS, cfg.seed).float().requires_grad_(True)
    return lambda: layer(x).sum().backward()


def run(cfg: BenchConfig) -> list[dict]:
    """Measure every simulator in ``cfg.sims``; print and return one record each."""
    records: list[dict] = []
    base = None
    for name in cfg.sim_names:
        rec = _measure(name, cfg)
        if name == "engine":
            base = rec["seconds"]
        rec["ratio_to_engine"] = None if base is None else round(rec["seconds"] / base, 2)
        print(json.dumps(rec), flush=True)
        records.append(rec)
    return records


def _measure(name: str, cfg: BenchConfig) -> dict:
    rec = {"name": name, "batch": cfg.batch, "device": cfg.device, "dtype": cfg.dtype}
    if name in ("engine", "engine-jacobian"):
        secs = _time(engine_step(cfg, jacobian=name == "engine-jacobian"), cfg.repeats)
    elif name in ("fast", "fast-jacobian"):
        secs = _time(layer_step("fast", cfg.batch, cfg, vjp=name == "fast"), cfg.repeats)
    elif name in ("aer", "aer-gpu"):
        measured = _time(layer_step(name, cfg.slow_batch, cfg), max(1, cfg.repeats // 2))
        rec.update(scaled=True, measured_batch=cfg.slow_batch, measured_seconds=measured)
        secs = measured * cfg.batch / cfg.slow_batch
    elif name in ("reference", "aer-library"):
        sim = "reference" if name == "reference" else "aer"
        measured = _time(library_step(sim, cfg), 1)
        rec.update(
            scaled=True,
            measured_batch=cfg.library_batch,
            measured_seconds=measured,
            measured_sub_generators=1,
        )
        secs = measured * cfg.batch / cfg.library_batch * N_SUB
    else:
        raise SystemExit(f"unknown benchmark {name!r}")
    rec["seconds"] = round(secs, 6)
    return rec


def main(argv: list[str] | None = None) -> None:
    parser = command("benchmarks.quantum_step", __doc__, BenchConfig)
    parser.add_argument("--quick", action="store_true", help="fewer repeats: under a minute")
    run_command(parser, BenchConfig, argv, _run)


def _run(cfg: BenchConfig, flags) -> None:
    if flags.quick:
        cfg = dataclasses.replace(cfg, repeats=1, slow_batch=1)
    QuantumConfig(device=cfg.device)  # a device name it knows
    require_device(cfg.device)  # and one this machine has
    run(cfg)


if __name__ == "__main__":
    main()
