"""Run a circuit of disjoint qubit blocks on any V2 estimator, one small circuit per block.

The quantum generator is one 100-qubit circuit made of ten 10-qubit sub-generators that never
interact. No statevector simulator holds 2**100 amplitudes, but the state is a product over the
blocks, so <P> of a Pauli string is the product of its blocks' local expectations.
``BlockwiseEstimator`` wraps an estimator (Aer's ``EstimatorV2`` on CPU or GPU, Qiskit's
``StatevectorEstimator``) and sends it, for each pub, one pub per block with that block's
distinct parameter rows and local Paulis, all in one ``run`` call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.primitives import BaseEstimatorV2, DataBin, PrimitiveJob, PrimitiveResult, PubResult
from qiskit.primitives.containers.estimator_pub import EstimatorPub, EstimatorPubLike
from qiskit.quantum_info import SparsePauliOp

from circuits.estimator import broadcast_evs, flatten_pubs

SKIPPED = ("barrier", "delay")  # span qubits without coupling them


def connected_blocks(circuit: QuantumCircuit) -> list[tuple[int, ...]]:
    """Qubit blocks no gate connects (union-find over multi-qubit instructions), sorted."""
    parent = list(range(circuit.num_qubits))

    def find(q: int) -> int:
        while parent[q] != q:
            parent[q] = parent[parent[q]]
            q = parent[q]
        return q

    for inst in circuit.data:
        if inst.operation.name in SKIPPED:
            continue
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        for q in qubits[1:]:
            parent[find(q)] = find(qubits[0])
    blocks: dict[int, list[int]] = {}
    for q in range(circuit.num_qubits):
        blocks.setdefault(find(q), []).append(q)
    return sorted(tuple(b) for b in blocks.values())


def block_circuit(circuit: QuantumCircuit, qubits: Sequence[int]) -> QuantumCircuit:
    """The instructions of ``circuit`` on ``qubits``, on a register of len(qubits) qubits."""
    local = {q: j for j, q in enumerate(qubits)}
    sub = QuantumCircuit(len(qubits))
    for inst in circuit.data:
        if inst.operation.name in SKIPPED:
            continue
        idx = [circuit.find_bit(q).index for q in inst.qubits]
        if idx[0] in local:
            sub.append(inst.operation, [local[q] for q in idx])
    return sub


def split_label(label: str, blocks: Sequence[tuple[int, ...]]) -> list[tuple[int, str]]:
    """The non-identity parts of a Pauli label (qubit 0 rightmost) per block, as local labels."""
    n = len(label)
    where = {q: (b, j) for b, block in enumerate(blocks) for j, q in enumerate(block)}
    parts: dict[int, list[str]] = {}
    for q in range(n):
        ch = label[n - 1 - q]
        if ch != "I":
            b, j = where[q]
            size = len(blocks[b])
            parts.setdefault(b, ["I"] * size)[size - 1 - j] = ch
    return [(b, "".join(chars)) for b, chars in sorted(parts.items())]


class BlockwiseEstimator(BaseEstimatorV2):
    """A V2 estimator that splits every circuit into independent blocks for an inner one."""

    def __init__(self, estimator: BaseEstimatorV2):
        self.estimator = estimator
        self._split: dict[int, tuple[QuantumCircuit, list, list]] = {}

    def run(
        self, pubs: Iterable[EstimatorPubLike], *, precision: float | None = None
    ) -> PrimitiveJob[PrimitiveResult[PubResult]]:
        coerced = [EstimatorPub.coerce(pub, precision) for pub in pubs]
        job = PrimitiveJob(self._run, coerced, precision)
        job._submit()
        return job

    def _run(self, pubs: list[EstimatorPub], precision) -> PrimitiveResult[PubResult]:
        plans = [self._plan(pub) for pub in pubs]
        inner = [p for plan in plans for p in plan["pubs"]]
        kwargs = {} if precision is None else {"precision": precision}
        results = iter(self.estimator.run(inner, **kwargs).result() if inner else [])
        out = []
        for pub, plan in zip(pubs, plans, strict=True):
            local = [next(results).data for _ in plan["pubs"]]
            out.append(self._combine(pub, plan, local))
        return PrimitiveResult(out, metadata={"version": 2})

    def _blocks(self, circuit: QuantumCircuit):
        key = id(circuit)
        if key not in self._split or self._split[key][0] is not circuit:
            blocks = connected_blocks(circuit)
            self._split[key] = (circuit, blocks, [block_circuit(circuit, b) for b in blocks])
        return self._split[key][1:]

    def _plan(self, pub: EstimatorPub) -> dict:
        """One inner pub per block: distinct rows of its parameters x its local Paulis."""
        circuit = pub.circuit
        blocks, subs = self._blocks(circuit)
        values = pub.parameter_values.as_array(circuit.parameters)
        rows, observables, obs_index = flatten_pubs([pub], values)
        column = {p: i for i, p in enumerate(circuit.parameters)}
        labels: list[dict[str, int]] = [{} for _ in blocks]
        terms = []  # per observable: [(coeff, [(block, local label index)])]
        for obs in observables:
            terms.append(
                [
                    (
                        complex(c).real,
                        [
                            (b, labels[b].setdefault(lab, len(labels[b])))
                            for b, lab in split_label(label, blocks)
                        ],
                    )
                    for label, c in obs.items()
                ]
            )
        inner, row_maps, used = [], [], []
        for b, sub in enumerate(subs):
            if not labels[b]:
                continue
            cols = [column[p] for p in sub.parameters]
            distinct, row_map = np.unique(rows[:, cols], axis=0, return_inverse=True)
            ops = [SparsePauliOp(lab) for lab in labels[b]]
            inner.append((sub, [ops], distinct[:, None, :]) if cols else (sub, ops))
            row_maps.append(row_map.ravel() if cols else np.zeros(len(rows), dtype=np.int64))
            used.append(b)
        return {
            "pubs": inner,
            "row_maps": row_maps,
            "blocks": used,
            "terms": terms,
            "rows": len(rows),
            "shape": values.shape[:-1],
            "obs_index": obs_index,
        }

    def _combine(self, pub: EstimatorPub, plan: dict, local: list) -> PubResult:
        """Products of local expectations per term, summed per observable; stds propagated to
        first order (independent blocks)."""
        n = plan["rows"]
        evs_of, std_of = {}, {}
        for b, row_map, data in zip(plan["blocks"], plan["row_maps"], local, strict=True):
            evs = np.atleast_2d(np.asarray(data.evs, dtype=float))
            stds = np.atleast_2d(np.asarray(data.stds, dtype=float))
            evs_of[b], std_of[b] = evs[row_map], stds[row_map]  # (R, local labels)
        table = np.zeros((n, len(plan["terms"])))
        var = np.zeros_like(table)
        for k, terms in enumerate(plan["terms"]):
            for coeff, parts in terms:
                factors = [evs_of[b][:, i] for b, i in parts]
                table[:, k] += coeff * np.prod(factors, axis=0) if factors else coeff
                for j, (b, i) in enumerate(parts):
                    others = np.prod([f for m, f in enumerate(factors) if m != j], axis=0)
                    var[:, k] += (coeff * others * std_of[b][:, i]) ** 2
        (evs,) = broadcast_evs(table, plan["shape"], [pub], plan["obs_index"])
        (stds,) = broadcast_evs(np.sqrt(var), plan["shape"], [pub], plan["obs_index"])
        data = DataBin(evs=evs, stds=stds, shape=evs.shape)
        return PubResult(
            data, metadata={"target_precision": pub.precision, "blocks": len(plan["blocks"])}
        )
