"""Mitigated expectation values of an ISA circuit on a local noisy copy of a backend.

``mitigated_expectations(isa_circuit, observables, parameter_values, backend, cfg)`` runs every
parameter set in one pub per circuit variant (not one job per sample) with the backend's
device noise model, reduced to the qubits in use (``transpile/noisy.py``; our batched engine,
``transpile/ptm.py``, by default), and applies the techniques that ``cfg``
(``transpile.mitigation_config.MitigationConfig``) switches on, each independently:

* ``readout``: tensored readout-error mitigation (``transpile/readout.py``), calibrated by
  all-0/all-1 circuits on the same noisy backend (or from the Target's measurement errors).
* ``zne``: zero-noise extrapolation over two-qubit gate folding (``transpile/zne.py``): the
  scales' shots split by ``scale_shots``, extrapolated per parameter set or pooled over them.
* ``twirling``, ``dd``: circuit variants (``transpile/suppression.py``), through the
  registry's ``variants`` transforms.

Without ZNE the estimates are those at scale 1; without readout, the raw ones. For IBM
hardware the same switches map to the Runtime estimator's own options in
``transpile/runtime_mitigation.py``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.providers import BackendV2
from qiskit.quantum_info import SparsePauliOp
from tqdm import tqdm

from transpile.measurement import measurement_bases, pauli_terms, rotate_to_z
from transpile.mitigation_config import TECHNIQUES, MitigationConfig
from transpile.noisy import noisy_sampler, qubit_groups, reduced_backend, restrict_circuit
from transpile.readout import (
    ReadoutCalibration,
    calibration_circuits,
    calibration_from_bits,
    calibration_from_target,
    measure_all,
    pauli_means,
)
from transpile.suppression import pad_idle
from transpile.zne import extrapolate, fold_two_qubit_gates, pooled_extrapolate

__all__ = [
    "MitigationConfig",
    "MitigationResult",
    "TECHNIQUES",
    "mitigated_expectations",
    "run_mitigation",
]


@dataclass(frozen=True, eq=False)
class MitigationResult:
    """Estimates at every noise scale, before and after readout mitigation.

    Attributes:
        scales: (S,) realized noise scales, ascending (1.0 alone without ZNE).
        shots: (S,) shots of each scale per parameter set.
        raw: (S, P, O) unmitigated estimates per scale, parameter set and observable.
        readout: (S, P, O) readout-mitigated estimates, or None when not calibrated.
        bounds: (O,) sum of |coefficients|: no observable's value can exceed it in size.
        groups: Physical qubits of each independently simulated group.
        calibrations: The readout calibration of each group (empty without readout).
        config: The configuration that produced this.
        seconds: Wall time.
    """

    scales: np.ndarray
    shots: np.ndarray
    raw: np.ndarray
    readout: np.ndarray | None
    bounds: np.ndarray
    groups: tuple[tuple[int, ...], ...]
    calibrations: tuple[ReadoutCalibration, ...]
    config: MitigationConfig
    seconds: float

    def estimate(
        self,
        *,
        readout: bool | None = None,
        zne: bool | None = None,
        extrapolator: str | None = None,
        pooled: bool | None = None,
    ) -> np.ndarray:
        """(P, O) estimates from the stored data; each switch defaults to the config's.

        Values are clipped to [-bound, bound] once anything is mitigated: readout inversion
        and extrapolation can overshoot the physical range, and clipping can only bring them
        closer to it.
        """
        cfg = self.config
        readout = cfg.readout if readout is None else readout
        zne = cfg.zne if zne is None else zne
        data = self.readout if readout else self.raw
        if data is None:
            raise ValueError("readout mitigation needs a readout calibration: run with readout on")
        if zne:
            if len(self.scales) < 2:
                raise ValueError("zne needs several noise scales: run with zne on")
            method = extrapolator or cfg.extrapolator
            pool = cfg.pooled if pooled is None else pooled
            by_scale = np.moveaxis(data, 0, -1)  # (P, O, S)
            if pool:
                noise = self.noise_variance(readout=readout)
                values = pooled_extrapolate(self.scales, by_scale, method, noise_var=noise)
            else:
                values = extrapolate(self.scales, by_scale, method)
        else:
            at_one = np.flatnonzero(np.isclose(self.scales, 1.0))
            if not len(at_one):
                raise ValueError("no noise scale 1 was run: include 1 in scale_factors")
            values = data[at_one[0]]
        return np.clip(values, -self.bounds, self.bounds) if readout or zne else values

    def noise_variance(self, *, readout: bool) -> np.ndarray:
        """(O, S) shot-noise variance of one parameter set's estimate at each scale, the mean
        over sets: (b^2 - y^2) / shots of the raw value y (exact for an observable that is one
        Pauli term of coefficient b, as each of the generator's <Z_i>; an approximation for a
        sum of terms), times, with ``readout``, the square of readout mitigation's gain
        d(mitigated) / d(raw): the least-squares slope across the sets, exact for tensored
        mitigation of a term inside one group, where it is linear."""
        b2 = self.bounds**2
        var = np.clip(b2 - self.raw**2, 0.0, None) / self.shots[:, None, None]  # (S, P, O)
        if readout:
            if self.readout is None:
                raise ValueError("no readout calibration: run with readout on")
            dr = self.raw - self.raw.mean(axis=1, keepdims=True)
            dm = self.readout - self.readout.mean(axis=1, keepdims=True)
            ss = (dr**2).sum(axis=1)  # (S, O)
            gain = np.where(ss > 1e-24, (dr * dm).sum(axis=1) / np.maximum(ss, 1e-24), 1.0)
            var = var * gain[:, None, :] ** 2
        return var.mean(axis=1).T  # (O, S)


def mitigated_expectations(
    isa_circuit: QuantumCircuit,
    observables: SparsePauliOp | Sequence[SparsePauliOp],
    parameter_values: np.ndarray | Sequence[Sequence[float]],
    backend: BackendV2,
    cfg: MitigationConfig | None = None,
) -> np.ndarray:
    """Mitigated expectation values on a local noisy simulation of ``backend``.

    Args:
        isa_circuit: Transpiled, unmeasured circuit on ``backend``'s qubits.
        observables: O observables on the same qubits (``SparsePauliOp.apply_layout``).
        parameter_values: (P, n_params) in the order of ``isa_circuit.parameters``.
        backend: A ``BackendV2`` with error data (a fake backend or ``GenericBackendV2``).
        cfg: Mitigation settings; ``MitigationConfig()`` if None.

    Returns:
        (P, O) estimates.
    """
    return run_mitigation(isa_circuit, observables, parameter_values, backend, cfg).estimate()


def run_mitigation(
    isa_circuit: QuantumCircuit,
    observables: SparsePauliOp | Sequence[SparsePauliOp],
    parameter_values: np.ndarray | Sequence[Sequence[float]],
    backend: BackendV2,
    cfg: MitigationConfig | None = None,
    *,
    progress: bool = False,
) -> MitigationResult:
    """Like ``mitigated_expectations``, keeping the data of every mode and noise scale.

    Each Pauli term's value is the product of its factors on the independently simulated
    groups (exact in expectation, since the groups are independent); a term inside one group,
    like every <Z_i> of the generator, is estimated from that group's shots alone. Groups that
    no observable reads are not simulated. ``progress`` shows a bar over the groups (one
    sampler job each: every scale, variant and parameter set of the group).
    """
    cfg = cfg or MitigationConfig()
    start = time.perf_counter()
    ops = _check_observables(observables, isa_circuit)
    values = _check_values(parameter_values, isa_circuit)
    terms = [t for o, op in enumerate(ops) for t in pauli_terms(o, op)]
    groups = qubit_groups(isa_circuit, extra=[q for t in terms for q in t.paulis])
    circuits, scales = _scaled_circuits(isa_circuit, backend, cfg)
    coeffs = np.array([t.coeff for t in terms])[:, None, None]
    raw = np.broadcast_to(coeffs, (len(terms), len(scales), len(values))).copy()  # (T, S, P)
    mit = raw.copy()
    seeds = [_seed(cfg.seed, g) for g in range(len(groups))]  # one stream per group
    runs = [_GroupRun(q, terms, backend, cfg, s) for q, s in zip(groups, seeds, strict=True)]
    runs = [r for r in runs if r.settings]  # the others are independent and unobserved
    for run in tqdm(runs, desc="noisy groups", unit="group", disable=not progress):
        group_raw, group_mit = run.factors(circuits, values, isa_circuit.parameters)
        raw, mit = raw * group_raw, mit * group_mit
    onehot = np.zeros((len(terms), len(ops)))
    onehot[np.arange(len(terms)), [t.observable for t in terms]] = 1.0  # term -> observable
    return MitigationResult(
        scales=scales,
        shots=np.array(cfg.shots_per_scale()),
        raw=np.einsum("tsp,to->spo", raw, onehot),
        readout=np.einsum("tsp,to->spo", mit, onehot) if cfg.readout else None,
        bounds=np.array([np.abs(op.coeffs).sum() for op in ops]),
        groups=tuple(r.qubits for r in runs),
        calibrations=tuple(r.calibration for r in runs if r.calibration is not None),
        config=cfg,
        seconds=time.perf_counter() - start,
    )


class _GroupRun:
    """Simulates one qubit group: every scale, variant and measurement basis in one job."""

    def __init__(self, qubits: tuple[int, ...], terms, backend, cfg: MitigationConfig, seed):
        self.qubits, self.cfg, self.seed = qubits, cfg, seed
        self.index = {q: j for j, q in enumerate(qubits)}
        self.backend = reduced_backend(backend, qubits)
        # each term's Paulis on this group, by local qubit index ({} if it has none here)
        self.local = [
            {self.index[q]: c for q, c in t.paulis.items() if q in self.index} for t in terms
        ]
        self.settings, self.which = measurement_bases(self.local)
        self.calibration: ReadoutCalibration | None = None

    def factors(self, circuits, values: np.ndarray, parameters) -> tuple[np.ndarray, np.ndarray]:
        """(T, S, P) raw and readout-mitigated factors of every term on this group (1 if none)."""
        pubs, n_variants = self._pubs(circuits, values, parameters)
        cal_pubs = self._calibration_pubs()
        sampler = noisy_sampler(self.backend, seed=self.seed, method=self.cfg.method)
        results = sampler.run(pubs + cal_pubs).result()
        arrays = [r.data.meas for r in results]
        self.calibration = self._calibrate(
            [a.to_bool_array(order="little") for a in arrays[len(pubs) :]]
        )
        shape = (len(self.local), len(circuits), len(values))
        raw, mit = np.ones(shape), np.ones(shape)
        for s in range(len(self.settings)):
            rows = [t for t, w in enumerate(self.which) if w == s]
            supports = [tuple(sorted(self.local[t])) for t in rows]
            for i in range(len(circuits)):
                first = (i * len(self.settings) + s) * n_variants
                chunk = arrays[first : first + n_variants]  # this scale and basis, every variant
                bits, freq = _outcomes(chunk, len(values))  # (M, k) outcomes, (P, M) frequencies
                raw[rows, i] = pauli_means(bits, supports, probs=freq).T
                if self.calibration is not None:
                    mit[rows, i] = pauli_means(bits, supports, self.calibration, probs=freq).T
        return raw, mit

    def _pubs(self, circuits, values: np.ndarray, parameters) -> tuple[list[tuple], int]:
        """Pubs ordered (scale, setting, variant), each with all P parameter sets; and the
        number of variants per circuit (twirled copies), which split the scale's shots."""
        target, cfg = self.backend.target, self.cfg
        columns = {p: j for j, p in enumerate(parameters)}
        pubs = []
        for i, (circuit, shots) in enumerate(zip(circuits, cfg.shots_per_scale(), strict=True)):
            variants = [restrict_circuit(circuit, self.qubits)]
            for name in cfg.techniques:
                transform = TECHNIQUES[name].variants
                if transform is not None:
                    variants = transform(variants, cfg, target, _seed(self.seed, i))
            if cfg.idle_noise and not cfg.dd:  # DD pads the idle stretches itself
                variants = [pad_idle(v, target) for v in variants]
            for setting in self.settings:
                for v in variants:
                    measured = measure_all(rotate_to_z(v, setting))
                    pubs.append(
                        (measured, _bindings(v, values, columns), max(1, shots // len(variants)))
                    )
        return pubs, len(variants)

    def _calibration_pubs(self) -> list[tuple]:
        if not (self.cfg.readout and self.cfg.calibration == "circuits"):
            return []
        circuits = calibration_circuits(len(self.qubits), self.backend.target)
        return [(c, None, self.cfg.calibration_shots) for c in circuits]

    def _calibrate(self, bits: list[np.ndarray]) -> ReadoutCalibration | None:
        if not self.cfg.readout:
            return None
        if self.cfg.calibration == "target":
            return calibration_from_target(self.backend.target, range(len(self.qubits)))
        return calibration_from_bits(*bits)


def _scaled_circuits(
    isa_circuit: QuantumCircuit, backend: BackendV2, cfg: MitigationConfig
) -> tuple[list[QuantumCircuit], np.ndarray]:
    """The circuit at each noise scale (folded globally, before the split into groups)."""
    if not cfg.zne:
        return [isa_circuit], np.array([1.0])
    target = getattr(backend, "target", None)
    out = [
        (isa_circuit, 1.0)
        if s == 1.0
        else fold_two_qubit_gates(isa_circuit, s, select=cfg.fold, seed=cfg.seed, target=target)
        for s in cfg.scale_factors
    ]
    return [c for c, _ in out], np.array([r for _, r in out])


def _outcomes(arrays: list, n_sets: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct outcomes (M, k) bool of the shots of ``arrays`` (BitArrays of one circuit's
    variants, each (P,) or () with its shots), and their frequencies (P, M) over all variants.

    Means over M <= 2^k outcomes instead of every shot: 65536 shots of 64 parameter sets would
    otherwise be a 4 GB array of per-shot weights. A group without parameters ran once and
    serves every parameter set.
    """
    k = arrays[0].num_bits
    ints = [_as_ints(a).reshape(-1, a.num_shots) for a in arrays]  # (P or 1, shots) each
    if k <= 16:
        counts = sum(np.stack([np.bincount(r, minlength=2**k) for r in x]) for x in ints)
        keep = np.flatnonzero(np.asarray(counts).sum(axis=0))
        outcomes, counts = keep, np.asarray(counts)[:, keep]
    else:  # wide groups: the observed outcomes only
        stacked = np.concatenate(ints, axis=1)
        outcomes, inverse = np.unique(stacked, return_inverse=True)
        inverse = inverse.reshape(stacked.shape)
        counts = np.stack([np.bincount(r, minlength=len(outcomes)) for r in inverse])
    freq = np.broadcast_to(counts / counts.sum(axis=1, keepdims=True), (n_sets, len(outcomes)))
    bits = ((outcomes[:, None] >> np.arange(k)) & 1).astype(bool)  # (M, k), qubit j = bit j
    return bits, freq


def _as_ints(array) -> np.ndarray:
    """(..., shots) outcome integers of a BitArray (clbit j = bit j)."""
    data = array.array.astype(np.int64)  # (..., shots, bytes), big-endian bytes
    weights = 256 ** np.arange(data.shape[-1] - 1, -1, -1)
    return (data * weights).sum(axis=-1)


def _bindings(circuit: QuantumCircuit, values: np.ndarray, columns: dict):
    """Parameter values of the parameters ``circuit`` has (a group holds only some of them)."""
    params = tuple(circuit.parameters)
    if not params:
        return None
    return {params: values[:, [columns[p] for p in params]]}


def _check_observables(observables, circuit: QuantumCircuit) -> list[SparsePauliOp]:
    ops = [observables] if isinstance(observables, SparsePauliOp) else list(observables)
    if not ops:
        raise ValueError("give at least one observable")
    for op in ops:
        if not isinstance(op, SparsePauliOp) or op.num_qubits != circuit.num_qubits:
            raise ValueError(
                f"observables must be SparsePauliOps on the ISA circuit's {circuit.num_qubits} "
                "qubits: map them with op.apply_layout(isa_circuit.layout)"
            )
    if circuit.num_clbits:
        raise ValueError("pass the ISA circuit without measurements; the readout is added here")
    return ops


def _check_values(values, circuit: QuantumCircuit) -> np.ndarray:
    """(P, n_params) float parameter values; a single set may be given as (n_params,)."""
    arr = np.asarray(values, dtype=float)
    arr = arr.reshape(1, -1) if arr.ndim == 1 else arr
    if arr.ndim != 2 or arr.shape[1] != circuit.num_parameters or len(arr) == 0:
        raise ValueError(
            f"parameter_values must be (P, {circuit.num_parameters}) in the order of "
            f"isa_circuit.parameters, got shape {np.shape(values)}"
        )
    return arr


def _seed(*entropy: int) -> int:
    """A 32-bit seed derived from ``entropy`` (independent streams per group and scale)."""
    return int(np.random.SeedSequence(list(entropy)).generate_state(1)[0])
