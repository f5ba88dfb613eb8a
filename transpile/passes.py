"""The seeded pass manager we use, and what it reports per circuit.

The sub-generators are placed on the disjoint lines of ``transpile/layout.py`` (block g of the
ansatz on line g, qubit i of the block on the line's i-th qubit), so every CNOT of their chains is
on a coupler. The pass manager is Qiskit's preset one with that ``initial_layout`` and
``routing_method="none"``: routing is replaced by a check that raises if any two-qubit gate were
off the coupling map, so no SWAP can be inserted silently. Optimization level 1 by default: with
the layout fixed there is no layout search or routing left to do, and levels 2-3 only resynthesize
one-qubit runs (measured on fake_brisbane: more ``sx``, not fewer).

Two ways to run the generator (``separate``):

* one wide circuit, the ``n_sub`` sub-generators side by side on ``n_sub`` disjoint lines (one
  job, ``circuits.ansatz.generator_circuit``);
* ``n_sub`` separate circuits (``circuits.ansatz.hybridq_subgenerator`` each); they run one after
  another, so by default all sit on the single best line.

Each circuit gets a ``CircuitReport``: two-qubit gate count (vs the logical count), depth, SWAPs
inserted by routing, estimated fidelity (``transpile/fidelity.py``) and transpile time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import PassManager, generate_preset_pass_manager

from circuits.ansatz import SUBGENERATORS, Ansatz, generator_circuit
from transpile.fidelity import FidelityEstimate, estimate_circuit
from transpile.layout import LineLayout, find_lines


@dataclass(frozen=True)
class CircuitReport:
    """What transpiling one circuit did.

    Attributes:
        name: The logical circuit's name.
        physical_qubits: Where each logical qubit sits at the end (its readout qubit).
        two_qubit_gates: Two-qubit gates in the transpiled circuit.
        logical_two_qubit_gates: Two-qubit gates in the logical circuit (540 for 10 x 6 x 9).
        depth: Depth of the transpiled circuit.
        swaps: SWAPs inserted by layout and routing (each costs three two-qubit gates).
        fidelity: Estimated fidelity, by source.
        seconds: Wall time of the pass manager.
    """

    name: str
    physical_qubits: tuple[int, ...]
    two_qubit_gates: int
    logical_two_qubit_gates: int
    depth: int
    swaps: int
    fidelity: FidelityEstimate
    seconds: float

    def as_dict(self) -> dict:
        """JSON-ready fields, with the fidelity flattened."""
        out = asdict(self)
        out["physical_qubits"] = list(self.physical_qubits)
        out["log_fidelity"] = self.fidelity.log_fidelity
        out["fidelity"] = self.fidelity.fidelity
        out["duration"] = self.fidelity.duration
        return out


@dataclass(frozen=True)
class TranspiledGenerator:
    """The generator's circuits on a backend, ready for a Runtime estimator.

    Attributes:
        ansatze: The logical circuits; their Parameter objects are those of ``circuits``.
        circuits: The transpiled (ISA) circuits, one wide one or one per sub-generator.
        observables: Per circuit, its readout observables mapped onto the backend's qubits.
        layout: The lines used.
        reports: One per circuit.
        separate: True when each sub-generator is its own circuit.
        optimization_level: Preset optimization level used.
        seed: ``seed_transpiler``.
    """

    ansatze: tuple[Ansatz, ...]
    circuits: tuple[QuantumCircuit, ...]
    observables: tuple[tuple[SparsePauliOp, ...], ...]
    layout: LineLayout
    reports: tuple[CircuitReport, ...]
    separate: bool
    optimization_level: int
    seed: int

    def report(self) -> str:
        """The layout's report, then one line per circuit."""
        rows = [self.layout.report(), "circuit  2q (logical)  depth  swaps  est. fidelity  seconds"]
        for r in self.reports:
            rows.append(
                f"{r.name:<8} {r.two_qubit_gates:>4} ({r.logical_two_qubit_gates:>4})  "
                f"{r.depth:>5}  {r.swaps:>5}  {r.fidelity.fidelity:>13.3e}  {r.seconds:>7.3f}"
            )
        return "\n".join(rows)


def pass_manager(
    backend, initial_layout: Sequence[int], *, optimization_level: int = 1, seed: int = 0
) -> PassManager:
    """Qiskit's preset pass manager on ``initial_layout``, with routing that may add no SWAP."""
    return generate_preset_pass_manager(
        optimization_level=optimization_level,
        backend=backend,
        initial_layout=list(initial_layout),
        routing_method="none",  # raise rather than route: the lines make routing unnecessary
        seed_transpiler=seed,
    )


def block_layout(ansatz: Ansatz, lines: Sequence[Sequence[int]]) -> list[int]:
    """Physical qubit of each logical qubit: block g's qubit i on ``lines[g][i]``."""
    if len(lines) < ansatz.num_blocks:
        raise ValueError(f"{ansatz.num_blocks} blocks need as many lines, got {len(lines)}")
    physical = [-1] * ansatz.num_qubits
    for block, line in zip(ansatz.blocks, lines, strict=False):  # extra lines stay unused
        if len(block) != len(line):
            raise ValueError(f"a block of {len(block)} qubits cannot sit on a line of {len(line)}")
        for logical, qubit in zip(block, line, strict=True):
            physical[logical] = qubit
    return physical


def run_pass_manager(
    pm: PassManager, ansatz: Ansatz, backend, name: str | None = None
) -> tuple[QuantumCircuit, tuple[SparsePauliOp, ...], CircuitReport]:
    """Run ``pm`` on the ansatz; map its observables; report gates, SWAPs, fidelity, time."""
    isa, swaps, seconds = run_counting_swaps(pm, ansatz.circuit)
    observables = tuple(op.apply_layout(isa.layout) for op in ansatz.observables)
    physical = tuple(isa.layout.final_index_layout())
    report = CircuitReport(
        name=name or ansatz.circuit.name,
        physical_qubits=physical,
        two_qubit_gates=two_qubit_count(isa),
        logical_two_qubit_gates=two_qubit_count(ansatz.circuit),
        depth=isa.depth(),
        swaps=swaps,
        fidelity=estimate_circuit(isa, backend.target, measured=physical),
        seconds=seconds,
    )
    return isa, observables, report


def run_counting_swaps(
    pm: PassManager, circuit: QuantumCircuit
) -> tuple[QuantumCircuit, int, float]:
    """Run ``pm`` and count the SWAPs its layout/routing passes inserted.

    Routed SWAPs exist as ``swap`` gates between routing and basis translation, so the largest
    ``swap`` count seen after any pass, minus the circuit's own, is what routing added.
    """
    seen = [0]

    def callback(dag, **_) -> None:
        seen[0] = max(seen[0], dag.count_ops(recurse=False).get("swap", 0))

    start = time.perf_counter()
    isa = pm.run(circuit, callback=callback)
    seconds = time.perf_counter() - start
    return isa, max(0, seen[0] - circuit.count_ops().get("swap", 0)), seconds


def two_qubit_count(circuit: QuantumCircuit) -> int:
    """Operations acting on exactly two qubits (barriers excluded)."""
    return sum(
        1 for inst in circuit.data if len(inst.qubits) == 2 and inst.operation.name != "barrier"
    )


def transpile_generator(
    backend,
    *,
    n_sub: int = 10,
    n_qubits: int = 10,
    n_layers: int = 6,
    kind: str = "hybridq",
    separate: bool = False,
    layout: LineLayout | None = None,
    optimization_level: int = 1,
    seed: int = 0,
) -> TranspiledGenerator:
    """The quantum generator transpiled for ``backend`` on disjoint lines, with reports.

    Args:
        backend: A ``BackendV2`` (``transpile.backends.get_backend``).
        n_sub: Sub-generators.
        n_qubits: Qubits per sub-generator (the line length).
        n_layers: Layers per sub-generator.
        kind: ``hybridq`` or ``mosaiq`` (``circuits.ansatz.SUBGENERATORS``).
        separate: One circuit per sub-generator instead of one wide circuit.
        layout: Lines to use (``find_lines``); by default ``n_sub`` lines for the wide circuit
            and the single best line for separate circuits (circuit g uses line g mod #lines).
        optimization_level: Preset optimization level (0-3).
        seed: ``seed_transpiler``.

    Returns:
        ISA circuits, mapped observables, the layout and one report per circuit.

    Raises:
        transpile.layout.LayoutError: The backend cannot hold the lines.
    """
    if kind not in SUBGENERATORS:
        raise ValueError(f"kind must be one of {sorted(SUBGENERATORS)}, got {kind!r}")
    if layout is None:
        layout = find_lines(backend, 1 if separate else n_sub, n_qubits, n_layers=n_layers)
    if separate:
        sub = SUBGENERATORS[kind](n_qubits, n_layers)
        jobs = [(sub, [layout.lines[g % len(layout.lines)]]) for g in range(n_sub)]
    else:
        jobs = [(generator_circuit(n_sub, n_qubits, n_layers, kind), list(layout.lines))]
    managers: dict[tuple[int, ...], PassManager] = {}  # one per distinct placement, reused
    done = []
    for g, (ansatz, lines) in enumerate(jobs):
        physical = tuple(block_layout(ansatz, lines))
        if physical not in managers:
            managers[physical] = pass_manager(
                backend, physical, optimization_level=optimization_level, seed=seed
            )
        done.append(
            run_pass_manager(managers[physical], ansatz, backend, f"{ansatz.circuit.name}{g}")
        )
    return TranspiledGenerator(
        ansatze=tuple(a for a, _ in jobs),
        circuits=tuple(isa for isa, _, _ in done),
        observables=tuple(obs for _, obs, _ in done),
        layout=layout,
        reports=tuple(r for _, _, r in done),
        separate=separate,
        optimization_level=optimization_level,
        seed=seed,
    )
