"""The statevector engine: expectation values, Jacobians and vector-Jacobian products.

``Engine(circuit)`` compiles a circuit once; then for parameter values (N, P) and observables
(Pauli sums on the whole register) it returns <O_k> (N, K), the exact Jacobian
d<O_k>/d params (N, K, P), or a vector-Jacobian product. Every component of the circuit is
simulated once per row; a Pauli term spanning several components is the product of its local
expectations (the state is a product state across components), and its derivative follows
from the product rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from qiskit import QuantumCircuit

from circuits.compiler import compile_circuit
from circuits.statevector import Batch, GroupSimulator, LocalPaulis

Observable = Mapping[str, float]  # Pauli label (qubit 0 rightmost) -> real coefficient
MEMORY_BUDGET = 2**28  # bytes per chunk of rows: bounds the states the adjoint keeps


@dataclass(frozen=True)
class _Terms:
    """Observables as sums of products of local Paulis.

    Term t is coeff[t] * prod_j P[comp[t, j], pauli[t, j]] and belongs to observable obs[t].
    """

    paulis: tuple[LocalPaulis, ...]  # per component
    coeff: np.ndarray  # (T,)
    obs: np.ndarray  # (T,) observable of each term
    comp: np.ndarray  # (T, J) component, padded with C (a component whose Paulis are all 1)
    pauli: np.ndarray  # (T, J) local Pauli index
    num_obs: int


class Engine:
    """Batched exact simulation of one circuit; see the module docstring."""

    def __init__(
        self,
        circuit: QuantumCircuit,
        parameters: Sequence | None = None,
        dtype: torch.dtype = torch.float64,
        device: str | torch.device = "cpu",
    ):
        self.circuit = circuit
        self.parameters = list(circuit.parameters if parameters is None else parameters)
        self.program = compile_circuit(circuit, self.parameters)
        self.dtype, self.device = dtype, torch.device(device)
        comps = self.program.components
        self.sims = [GroupSimulator(comps[g[0]], dtype, self.device) for g in self.program.groups]
        self._terms_cache: dict[tuple, _Terms] = {}

    # ------------------------------------------------------------------ public
    def expectation_values(self, values: np.ndarray, observables: Sequence[Observable]):
        """<O_k> for parameter rows ``values`` (N, P): (N, K) float64 ndarray."""
        return self._run(values, observables, mode="values")[0]

    def jacobian(self, values: np.ndarray, observables: Sequence[Observable]):
        """(<O_k> (N, K), d<O_k>/d params (N, K, P)) as float64 ndarrays."""
        return self._run(values, observables, mode="jacobian")

    def vjp(self, values: np.ndarray, observables: Sequence[Observable], cotangent: np.ndarray):
        """(<O_k> (N, K), sum_k cotangent[n, k] d<O_k>/d params (N, P))."""
        evs, grad = self._run(values, observables, mode="vjp", cotangent=cotangent)
        return evs, grad[:, 0]

    def forget(self) -> None:
        """Drop the remembered last simulation (its states), e.g. to time a full pass."""
        self._memo = None

    # ------------------------------------------------------------------ driver
    def _run(self, values, observables, mode: str, cotangent=None):
        values = np.atleast_2d(np.asarray(values, dtype=float))  # (N, P); P may be 0
        if values.ndim != 2 or values.shape[1] != len(self.parameters):
            raise ValueError(
                f"parameter values must be (rows, {len(self.parameters)}), got {values.shape}"
            )
        terms = self._terms(observables)
        n = len(values)
        evs = np.empty((n, terms.num_obs))
        width = {"values": 0, "jacobian": terms.num_obs, "vjp": 1}[mode]
        grads = np.empty((n, width, len(self.parameters))) if width else None
        step = self._rows_per_chunk(terms)
        for lo in range(0, n, step):
            sl = slice(lo, min(lo + step, n))
            cot = None if cotangent is None else np.asarray(cotangent, dtype=float)[sl]
            e, g = self._run_rows(values[sl], terms, mode, cot)
            evs[sl] = e
            if grads is not None:
                grads[sl] = g
        return evs, grads

    def _rows_per_chunk(self, terms: _Terms) -> int:
        per_row = 0
        for g, sim in zip(self.program.groups, self.sims, strict=True):
            k = max(1, len(terms.paulis[g[0]].xmask))
            per_row += len(g) * (k + len(sim.comp.steps) + 2) * 2**sim.n * 16
        return max(1, MEMORY_BUDGET // max(per_row, 1))

    def _run_rows(self, values: np.ndarray, terms: _Terms, mode: str, cotangent):
        forward = self._remembered(values, terms) if mode != "values" else None
        if forward is None:
            forward = self._forward_rows(values, terms)
        # Keep the last simulation: a backward right after a forward on the same rows (the
        # quantum layer's VJP after EstimatorQNN's forward) then skips the forward sweep.
        self._memo = (values.copy(), terms, forward)
        runs, local, factors, evs = forward
        if mode == "values":
            return evs.cpu().numpy(), None
        grad = self._gradients(runs, local, factors, terms, values, mode, cotangent)
        return evs.cpu().numpy(), grad.cpu().numpy()

    def _remembered(self, values: np.ndarray, terms: _Terms):
        memo = getattr(self, "_memo", None)
        if memo is not None and memo[1] is terms and np.array_equal(memo[0], values):
            return memo[2]
        return None

    def _forward_rows(self, values: np.ndarray, terms: _Terms):
        """Simulate every group: (runs, local expectations, term factors, evs (N, K))."""
        n = len(values)
        angles = torch.as_tensor(self.program.angles.values(values), dtype=self.dtype)
        angles = angles.to(self.device)
        local = [None] * len(self.program.components)  # per component: (N, n_p) expectations
        runs = []
        for g, sim in zip(self.program.groups, self.sims, strict=True):
            batch = Batch.of(self._group_angles(g, angles), len(g))
            psi, states, mats = sim.forward(batch, keep=True)
            e = sim.expectations(psi, terms.paulis[g[0]]).reshape(len(g), n, -1)
            for pos, c in enumerate(g):
                local[c] = e[pos]
            runs.append((batch, psi, states, mats))
        factors, evs = self._combine(local, terms, n)
        return runs, local, factors, evs

    def _group_angles(self, group: tuple[int, ...], angles: torch.Tensor) -> torch.Tensor:
        """(len(group) * N, n_slots) angles of a group, component-major."""
        slots = np.stack([self.program.components[c].slots for c in group])  # (Gc, S)
        if slots.shape[1] == 0:
            return angles.new_zeros(len(group) * len(angles), 0)
        return angles[:, torch.as_tensor(slots)].transpose(0, 1).reshape(-1, slots.shape[1])

    # ------------------------------------------------------------------ observables
    def _combine(self, local, terms: _Terms, n: int):
        """Term factors (T, J, N) and observable values (N, K) from local expectations."""
        width = max([1] + [x.shape[1] for x in local])
        table = torch.ones(len(local) + 1, n, width, dtype=self.dtype, device=self.device)
        for c, x in enumerate(local):
            table[c, :, : x.shape[1]] = x
        factors = table[torch.as_tensor(terms.comp), :, torch.as_tensor(terms.pauli)]  # (T, J, N)
        coef = torch.zeros(terms.num_obs, len(terms.coeff), dtype=self.dtype, device=self.device)
        coef[torch.as_tensor(terms.obs), torch.arange(len(terms.coeff))] = torch.as_tensor(
            terms.coeff, dtype=self.dtype, device=self.device
        )
        return factors, (coef @ factors.prod(1)).T

    def _gradients(self, runs, local, factors, terms: _Terms, values, mode: str, cotangent):
        n = len(values)
        others = _leave_one_out(factors)  # (T, J, N)
        width = terms.num_obs if mode == "jacobian" else 1
        grad_angles = torch.zeros(n, width, self.program.angles.num_angles, dtype=self.dtype)
        cot = None if cotangent is None else torch.as_tensor(cotangent, dtype=self.dtype)
        for g, sim, (batch, psi, states, mats) in zip(
            self.program.groups, self.sims, runs, strict=True
        ):
            paulis = terms.paulis[g[0]]
            if not len(sim.comp.slots) or not len(paulis.xmask):
                continue
            mix = torch.stack([self._mixing(c, others, terms, n) for c in g])  # (Gc, N, K, n_p)
            if mode == "vjp":
                mix = cot[None, :, None, :].to(mix) @ mix  # (Gc, N, 1, n_p)
                weights = mix.reshape(-1, 1, mix.shape[-1])
            else:  # full Jacobian: one co-state per local Pauli, mixed after
                weights = torch.eye(mix.shape[-1], dtype=self.dtype).expand(len(g) * n, -1, -1)
            lam = sim.co_states(psi, paulis, weights.to(self.device))
            d_local = sim.adjoint(batch, states, mats, lam).cpu()  # (Gc*N, K', S)
            d_local = d_local.reshape(len(g), n, -1, d_local.shape[-1])
            if mode == "jacobian":
                d_local = mix @ d_local  # (Gc, N, K, S)
            for pos, c in enumerate(g):
                slots = torch.as_tensor(self.program.components[c].slots)
                grad_angles.index_add_(2, slots, d_local[pos])
        return self.program.angles.pullback(grad_angles, values)

    def _mixing(self, c: int, others, terms: _Terms, n: int) -> torch.Tensor:
        """S_c (N, K, n_p): d<O_k>/d<P_p> of component c's local Paulis."""
        t_idx, j_idx = np.nonzero(terms.comp == c)
        n_p = len(terms.paulis[c].xmask)
        mix = torch.zeros(n, terms.num_obs, n_p, dtype=self.dtype)
        if len(t_idx):
            val = others[torch.as_tensor(t_idx), torch.as_tensor(j_idx)].cpu()  # (m, N)
            val = val * torch.as_tensor(terms.coeff[t_idx], dtype=self.dtype)[:, None]
            obs = torch.as_tensor(terms.obs[t_idx])
            pauli = torch.as_tensor(terms.pauli[t_idx, j_idx])
            mix.index_put_(
                (torch.arange(n)[:, None], obs[None], pauli[None]), val.T, accumulate=True
            )
        return mix

    def _terms(self, observables: Sequence[Observable]) -> _Terms:
        key = tuple(tuple(sorted(o.items())) for o in observables)
        if key not in self._terms_cache:
            self._terms_cache[key] = _compile_terms(self.program, observables)
        return self._terms_cache[key]


def _leave_one_out(factors: torch.Tensor) -> torch.Tensor:
    """Product of every factor but one along axis 1, without dividing (factors may be 0)."""
    ones = torch.ones_like(factors[:, :1])
    before = torch.cumprod(torch.cat([ones, factors[:, :-1]], 1), 1)
    after = torch.cumprod(torch.cat([ones, factors.flip(1)[:, :-1]], 1), 1).flip(1)
    return before * after


def _compile_terms(program, observables: Sequence[Observable]) -> _Terms:
    comps = program.components
    local_of = {q: (c, j) for c, comp in enumerate(comps) for j, q in enumerate(comp.qubits)}
    labels: list[dict[str, int]] = [{} for _ in comps]
    rows, coeffs, obs_ids = [], [], []
    for k, obs in enumerate(observables):
        for label, coeff in obs.items():
            if len(label) != program.num_qubits:
                raise ValueError(
                    f"observable {label!r} has {len(label)} qubits, "
                    f"the circuit {program.num_qubits}"
                )
            parts = _split_label(label, comps, local_of)
            rows.append([(c, labels[c].setdefault(lab, len(labels[c]))) for c, lab in parts])
            coeffs.append(_real_coeff(coeff))
            obs_ids.append(k)
    width = max([1] + [len(r) for r in rows])
    comp = np.full((len(rows), width), len(comps), dtype=np.int64)
    pauli = np.zeros((len(rows), width), dtype=np.int64)
    for t, row in enumerate(rows):
        for j, (c, p) in enumerate(row):
            comp[t, j], pauli[t, j] = c, p
    paulis = tuple(_masks(list(lab)) for lab in labels)
    # group members share one simulator: give them the union of local Paulis, same order
    for g in program.groups:
        merged = {}
        for c in g:
            for lab in labels[c]:
                merged.setdefault(lab, len(merged))
        for c in g:
            remap = np.array([merged[lab] for lab in labels[c]] or [0])
            mask = comp == c
            pauli[mask] = remap[pauli[mask]]
        paulis = tuple(_masks(list(merged)) if c in g else p for c, p in enumerate(paulis))
    return _Terms(paulis, np.array(coeffs), np.array(obs_ids), comp, pauli, len(observables))


def _split_label(label: str, comps, local_of) -> list[tuple[int, str]]:
    """Non-identity parts of a Pauli label per component, as local labels."""
    n = len(label)
    parts: dict[int, list[str]] = {}
    for q in range(n):
        ch = label[n - 1 - q]
        if ch == "I":
            continue
        c, j = local_of[q]
        parts.setdefault(c, ["I"] * comps[c].num_qubits)[comps[c].num_qubits - 1 - j] = ch
    return [(c, "".join(chars)) for c, chars in sorted(parts.items())]


def _masks(labels: list[str]) -> LocalPaulis:
    x, z, ny = [], [], []
    for lab in labels:
        n = len(lab)
        bits = {ch: sum(1 << (n - 1 - i) for i, c in enumerate(lab) if c == ch) for ch in "XYZ"}
        x.append(bits["X"] | bits["Y"])
        z.append(bits["Z"] | bits["Y"])
        ny.append(lab.count("Y"))
    return LocalPaulis(np.array(x, dtype=np.int64), np.array(z, dtype=np.int64), np.array(ny))


def _real_coeff(coeff) -> float:
    coeff = complex(coeff)
    if abs(coeff.imag) > 1e-12:
        raise ValueError(f"observable coefficient {coeff} is not real: not a Hermitian observable")
    return coeff.real
