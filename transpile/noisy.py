"""Local noisy simulation of an ISA circuit on only the qubits it uses.

A 127-qubit fake device cannot be simulated whole, and need not be: Aer's device noise model
(``NoiseModel.from_backend``: depolarizing + thermal relaxation per gate from the Target's
errors and durations, T1/T2 relaxation on delays, per-qubit readout errors) has no crosstalk,
so qubits that no gate touches stay exactly |0> and qubit groups that no gate connects evolve
independently. We therefore split the circuit's active qubits into connected groups (for the
generator: one per sub-generator line), cut each group's circuit and the backend's Target down
to those qubits (renumbered 0..k-1), and simulate each group on its own: exact for this noise
model, and 10 qubits at a time instead of 127. ``noisy_sampler`` simulates each group with our
batched Pauli-transfer-matrix engine (``transpile/ptm.py``) or with Aer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from qiskit import QuantumCircuit
from qiskit.circuit import Barrier
from qiskit.primitives import BaseSamplerV2
from qiskit.providers import BackendV2, Options
from qiskit.transpiler import Target
from qiskit_aer import AerSimulator
from qiskit_aer.primitives import SamplerV2

# METHODS: ptm = our batched engine (transpile/ptm.py); the others are Aer's simulation methods
from transpile.mitigation_config import METHODS

IDLE_OPS = frozenset({"barrier", "delay"})  # instructions that do not make a qubit active


class TargetBackend(BackendV2):
    """A backend that is only a Target: what ``AerSimulator.from_backend`` needs, no more."""

    def __init__(self, target: Target, name: str = "reduced") -> None:
        super().__init__(name=name)
        self._target = target

    @property
    def target(self) -> Target:
        return self._target

    @property
    def max_circuits(self) -> None:
        return None

    @classmethod
    def _default_options(cls) -> Options:
        return Options()

    def run(self, run_input, **options):
        raise NotImplementedError("simulate with AerSimulator.from_backend(this backend)")


def active_qubits(circuit: QuantumCircuit) -> tuple[int, ...]:
    """Qubits that some instruction other than a barrier or delay acts on, ascending."""
    used = {
        circuit.find_bit(q).index
        for inst in circuit.data
        if inst.operation.name not in IDLE_OPS
        for q in inst.qubits
    }
    return tuple(sorted(used))


def qubit_groups(circuit: QuantumCircuit, extra: Iterable[int] = ()) -> tuple[tuple[int, ...], ...]:
    """Active qubits (plus ``extra``, e.g. measured ones) split into gate-connected groups.

    Two qubits share a group when a multi-qubit instruction (not a barrier) connects them,
    directly or through others. Groups are sorted, and ordered by their smallest qubit.
    """
    parent = {q: q for q in (*active_qubits(circuit), *extra)}

    def root(q: int) -> int:
        while parent[q] != q:
            parent[q] = parent[parent[q]]  # path halving keeps the trees flat
            q = parent[q]
        return q

    for inst in circuit.data:
        if len(inst.qubits) > 1 and inst.operation.name not in IDLE_OPS:
            first, *rest = (root(circuit.find_bit(q).index) for q in inst.qubits)
            for other in rest:
                parent[root(other)] = root(first)
    groups: dict[int, list[int]] = {}
    for q in sorted(parent):
        groups.setdefault(root(q), []).append(q)
    return tuple(sorted(tuple(g) for g in groups.values()))


def restrict_circuit(circuit: QuantumCircuit, qubits: Sequence[int]) -> QuantumCircuit:
    """The instructions on ``qubits``, renumbered so ``qubits[j]`` becomes qubit j.

    Instructions entirely outside ``qubits`` are dropped: they act on other, independent
    groups, or are delays on unused qubits, which stay |0> under T1/T2 relaxation. Barriers
    are cut to ``qubits``. The parameters and global phase are kept.

    Raises:
        ValueError: The circuit measures or has classical bits (pass the unmeasured ISA
            circuit), or a gate connects ``qubits`` with a qubit outside them.
    """
    if circuit.num_clbits:
        raise ValueError("pass the circuit without measurements; its readout is added here")
    index = {q: j for j, q in enumerate(qubits)}
    out = QuantumCircuit(len(qubits), name=circuit.name, global_phase=circuit.global_phase)
    for inst in circuit.data:
        where = [circuit.find_bit(q).index for q in inst.qubits]
        inside = [index[q] for q in where if q in index]
        if inst.operation.name == "barrier":
            if inside:
                out.append(Barrier(len(inside)), inside)
        elif len(inside) == len(where):
            out.append(inst.operation, inside)
        elif inside:
            raise ValueError(f"{inst.operation.name} on {where} leaves the qubit group {qubits}")
    return out


def reduced_target(target: Target, qubits: Sequence[int]) -> Target:
    """``target`` cut down to ``qubits`` (renumbered 0..k-1), errors and durations kept.

    Instructions on qargs that leave ``qubits`` are dropped; global instructions (no qargs)
    stay global. Qubit properties (T1, T2, frequency) follow their qubits.
    """
    index = {q: j for j, q in enumerate(qubits)}
    props = target.qubit_properties
    reduced = Target(
        description=f"{target.description or 'target'} on qubits {list(qubits)}",
        num_qubits=len(qubits),
        dt=target.dt,
        qubit_properties=[props[q] for q in qubits] if props else None,
    )
    for name in target.operation_names:
        operation = target.operation_from_name(name)
        qargs_props = target[name]
        if qargs_props is None or None in qargs_props:  # global: every qubit, no properties
            reduced.add_instruction(operation, name=name)
            continue
        kept = {
            tuple(index[q] for q in qargs): p
            for qargs, p in qargs_props.items()
            if all(q in index for q in qargs)
        }
        if kept:
            reduced.add_instruction(operation, kept, name=name)
    return reduced


def reduced_backend(backend: BackendV2 | Target, qubits: Sequence[int]) -> TargetBackend:
    """A backend for ``AerSimulator.from_backend`` that holds only ``qubits``."""
    target = getattr(backend, "target", backend)
    name = getattr(backend, "name", None) or "target"
    return TargetBackend(reduced_target(target, qubits), f"{name}{list(qubits)}")


def noisy_sampler(
    backend: BackendV2, *, seed: int, method: str = "ptm", noise: bool = True
) -> BaseSamplerV2:
    """A seeded sampler with ``backend``'s device noise model (or none: ``noise=False``).

    ``ptm`` is our batched engine (``transpile.ptm_sampler``: the same noise model, exact,
    all parameter sets at once) for groups of up to ``transpile.ptm.MAX_QUBITS`` qubits; wider
    groups, and the other methods, run on Aer. Pass a ``reduced_backend``: the noise model is
    built for every qubit of the backend.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {' | '.join(METHODS)}, got {method!r}")
    # imported here: the PTM engine runs on torch, which METHODS' readers (the configs behind
    # every --help) must not load
    from transpile.ptm import MAX_QUBITS
    from transpile.ptm_sampler import PTMSampler

    if method == "ptm" and backend.target.num_qubits <= MAX_QUBITS:
        return PTMSampler(backend=backend, noise=noise, seed=seed)
    method = "automatic" if method == "ptm" else method
    if noise:
        simulator = AerSimulator.from_backend(backend, method=method, seed_simulator=seed)
    else:
        simulator = AerSimulator(method=method, seed_simulator=seed)
    return SamplerV2.from_backend(simulator, seed=seed)
