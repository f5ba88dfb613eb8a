"""Batched statevector simulation of one group of identical components, with adjoint gradients.

A group is a set of components with the same structure (see ``compiler``); its batch index
m = c * N + r runs over component c and parameter row r, so the ten sub-generators of the
HybridQ generator and all samples of a batch are one tensor (M, 2**n). States are real when
every gate is real (RY, CNOT, CZ, X, ...), complex otherwise.

Single-qubit layers (``KronStep``) are applied as Kronecker products over chunks of at most
``CHUNK`` qubits: one (M, 2**k, 2**k) matrix per chunk and a batched matmul, far fewer passes
over memory than one pass per gate. Gradients use the adjoint method (Jones & Gacon 2020):
co-states lambda = sum_p w_p P_p psi are pulled back through the steps and, at every rotation
exp(-i t G), d<O>/dt = 2 Re <lambda| -iG |psi>, for K co-states at once (K = the number of
local Paulis for a full Jacobian, K = 1 for a vector-Jacobian product).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from circuits.compiler import Component, DenseStep, KronStep, PermStep
from circuits.gates import Rotation

CHUNK = 5  # qubits per Kronecker chunk: 32x32 matrices are where matmul beats per-gate passes


@dataclass(frozen=True)
class LocalPaulis:
    """Pauli strings on a component's qubits, as masks: P|b> = i**ny (-1)**|b & z| |b ^ x>."""

    xmask: np.ndarray  # (n_p,) int
    zmask: np.ndarray  # (n_p,) int, bits where the Pauli is Z or Y
    ny: np.ndarray  # (n_p,) number of Y


@dataclass(frozen=True)
class Batch:
    """Angles of a group run: row m = c * rows + r for component c and parameter row r."""

    angles: torch.Tensor  # (M, n_slots)
    components: int  # Gc
    shared: np.ndarray  # (n_slots,) bool: the slot's angle is the same in every row

    @classmethod
    def of(cls, angles: torch.Tensor, components: int) -> Batch:
        if angles.shape[-1] == 0:  # a component without parameters
            return cls(angles, components, np.zeros(0, dtype=bool))
        by_comp = angles.reshape(components, -1, angles.shape[-1])
        shared = (by_comp == by_comp[:, :1]).all(1).all(0).cpu().numpy()
        return cls(angles, components, shared)

    @property
    def rows(self) -> int:
        return self.angles.shape[0] // self.components

    def slot_angles(self, slot: int) -> torch.Tensor:
        """(Gc,) for a shared slot, else (M,)."""
        if self.shared[slot]:
            return self.angles[:: self.rows, slot]
        return self.angles[:, slot]

    def to_size(self, m: torch.Tensor, size: int) -> torch.Tensor:
        """Expand a (Gc, ...) per-component tensor to (M, ...) when ``size`` is M."""
        if m.dim() == 2 or m.shape[0] == size:
            return m
        return m.repeat_interleave(self.rows, 0)

    def per_row(self, m: torch.Tensor) -> torch.Tensor:
        M = self.angles.shape[0]
        return m if m.dim() == 2 else self.to_size(m, M)


def _chunks(n: int) -> list[tuple[int, int]]:
    """(first qubit, size) of balanced chunks covering n qubits."""
    count = max(1, -(-n // CHUNK))
    sizes = [n // count + (i < n % count) for i in range(count)]
    starts = np.cumsum([0, *sizes[:-1]])
    return [(int(s), k) for s, k in zip(starts, sizes, strict=True)]


class GroupSimulator:
    """Forward and adjoint passes for the components of one group (same compiled structure)."""

    def __init__(self, component: Component, dtype: torch.dtype, device: torch.device):
        self.comp = component
        self.n = component.num_qubits
        self.real = component.real
        self.rdtype = dtype
        self.dtype = (
            dtype
            if self.real
            else (torch.complex64 if dtype == torch.float32 else torch.complex128)
        )
        self.device = device
        self.chunks = _chunks(self.n)
        self._perm = [
            self._perm_tensors(s) if isinstance(s, PermStep) else None for s in component.steps
        ]
        self._const = {}  # cached constant tensors keyed by id of numpy array

    # ---------------------------------------------------------------- tensors
    def _t(self, array: np.ndarray) -> torch.Tensor:
        key = id(array)
        if key not in self._const:
            data = np.array(np.real(array) if self.real else array)  # a writable copy
            self._const[key] = (array, torch.as_tensor(data, dtype=self.dtype, device=self.device))
        return self._const[key][1]

    def _perm_tensors(self, step: PermStep):
        perm = torch.as_tensor(step.perm, device=self.device)
        inv = torch.empty_like(perm)
        inv[perm] = torch.arange(len(perm), device=self.device)
        if step.phase is None:
            return perm, inv, None, None
        phase = step.phase.real if self.real else step.phase
        fwd = torch.as_tensor(phase, dtype=self.dtype, device=self.device)
        back = torch.as_tensor(
            np.conj(phase)[step.perm.argsort()], dtype=self.dtype, device=self.device
        )
        return perm, inv, fwd, back

    def rotation_matrix(self, rot: Rotation, t: torch.Tensor) -> torch.Tensor:
        """U(t) = exp(-i t G) for angles t (M,) -> (M, d, d)."""
        if rot.name == "ry":  # the hot gate: exact real formula, no complex exponentials
            c, s = torch.cos(t / 2), torch.sin(t / 2)
            u = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)
            return u.to(self.dtype)
        cdt = torch.complex128 if self.rdtype == torch.float64 else torch.complex64
        vecs = torch.as_tensor(rot.eigvecs, dtype=cdt, device=self.device)
        phases = torch.exp(
            -1j
            * t.to(cdt)[:, None]
            * torch.as_tensor(rot.eigvals, dtype=self.rdtype, device=self.device)
        )
        u = (vecs * phases[:, None, :]) @ vecs.conj().T
        return u.real.to(self.dtype) if self.real else u

    def _derivative(self, rot: Rotation) -> torch.Tensor:
        """D = -iG: dU/dt = D U (cached per gate name)."""
        key = ("derivative", rot.name)
        if key not in self._const:
            data = -1j * rot.generator
            data = data.real if self.real else data
            self._const[key] = (None, torch.as_tensor(data, dtype=self.dtype, device=self.device))
        return self._const[key][1]

    # ---------------------------------------------------------------- forward
    def forward(self, batch: Batch, keep: bool):
        """Run the steps on |0...0>; returns (final state, states after each step, matrices)."""
        M = batch.angles.shape[0]
        steps = self.comp.steps
        states: list[torch.Tensor] = []
        mats: list = []
        start = 0
        if steps and isinstance(steps[0], KronStep):
            gate_mats = self._kron_gate_matrices(steps[0], batch)
            psi = self._product_state(gate_mats, batch)
            mats.append(gate_mats)
            states.append(psi)
            start = 1
        else:
            psi = torch.zeros(M, 1, 2**self.n, dtype=self.dtype, device=self.device)
            psi[:, 0, 0] = 1
        for i in range(start, len(steps)):
            psi, m = self._apply(i, psi, batch, adjoint=False)
            mats.append(m)
            if keep:
                states.append(psi)
        if not keep:
            states = [psi]
        return psi, states, mats

    def _product_state(self, gate_mats: dict[int, torch.Tensor], batch: Batch) -> torch.Tensor:
        """Kronecker product of the first columns of a first single-qubit layer on |0...0>."""
        M = batch.angles.shape[0]
        psi = torch.ones(M, 1, dtype=self.dtype, device=self.device)
        zero = psi.new_tensor([1, 0])
        for q in range(self.n):
            u = gate_mats.get(q)
            col = zero.expand(M, 2) if u is None else batch.per_row(u)[..., :, 0].expand(M, 2)
            psi = (col[:, :, None] * psi[:, None, :]).reshape(M, -1)
        return psi[:, None, :]

    def _kron_gate_matrices(self, step: KronStep, batch: Batch) -> dict[int, torch.Tensor]:
        """Per-qubit matrices of a Kron step: (M, 2, 2) per row, (Gc, 2, 2) or constant (2, 2)."""
        out = {}
        for g in step.gates:
            out[g.qubit] = (
                self._t(g.matrix)
                if g.rotation is None
                else self.rotation_matrix(g.rotation, batch.slot_angles(g.slot))
            )
        return out

    def _chunk_matrix(self, gate_mats: dict, q0: int, k: int, batch: Batch):
        """Kronecker product U_{q0+k-1} x ... x U_{q0} over one chunk, or None if all identity.

        Stays per component (Gc, d, d) when every angle in it is shared by the rows, so the
        chunk is applied as Gc large matmuls instead of M small ones.
        """
        mats = [gate_mats.get(q) for q in range(q0, q0 + k)]
        if all(m is None for m in mats):
            return None
        eye = torch.eye(2, dtype=self.dtype, device=self.device)
        sizes = {m.shape[0] for m in mats if m is not None and m.dim() == 3}
        lead = max(sizes) if sizes else None
        u = None
        for m in mats:
            m = eye if m is None else m
            if lead is not None:
                m = batch.to_size(m, lead)
            if u is None:
                u = m
            elif m.dim() == 2 and u.dim() == 2:
                u = torch.kron(m, u)
            else:
                d = u.shape[-1]
                m, u = m.expand(lead, 2, 2), u.expand(lead, d, d)
                u = (m[:, :, None, :, None] * u[:, None, :, None, :]).reshape(lead, 2 * d, 2 * d)
        return u

    def _apply(self, i: int, v: torch.Tensor, batch: Batch, adjoint: bool, gate_mats=None):
        """Apply step i (or its inverse) to v (M, S, 2**n); returns (v, matrices used)."""
        step = self.comp.steps[i]
        if isinstance(step, PermStep):
            perm, inv, fwd, back = self._perm[i]
            if adjoint:
                v = v[..., inv]
                return (v if back is None else v * back), None
            v = v[..., perm]
            return (v if fwd is None else v * fwd), None
        if isinstance(step, KronStep):
            if gate_mats is None:
                gate_mats = self._kron_gate_matrices(step, batch)
            for q0, k in self.chunks:
                u = self._chunk_matrix(gate_mats, q0, k, batch)
                if u is not None:
                    v = _apply_chunk(v, _dagger(u) if adjoint else u, q0, k, self.n)
            return v, gate_mats
        u = self._dense_matrix(step, batch)
        return _apply_dense(v, _dagger(u) if adjoint else u, step.qubits, self.n), None

    def _dense_matrix(self, step: DenseStep, batch: Batch) -> torch.Tensor:
        if step.rotation is None:
            return self._t(step.matrix)
        return batch.per_row(self.rotation_matrix(step.rotation, batch.slot_angles(step.slot)))

    # ---------------------------------------------------------------- observables
    def expectations(self, psi: torch.Tensor, paulis: LocalPaulis) -> torch.Tensor:
        """<psi|P_p|psi> for every local Pauli p: (M, n_p), real."""
        psi = psi[:, 0]
        out = torch.zeros(psi.shape[0], len(paulis.xmask), dtype=self.rdtype, device=self.device)
        diag = paulis.xmask == 0
        if diag.any():
            probs = psi.real**2 + psi.imag**2 if not self.real else psi * psi
            out[:, torch.as_tensor(diag)] = probs @ self._signs(paulis.zmask[diag], self.rdtype)
        for p in np.flatnonzero(~diag):
            if self.real and paulis.ny[p] % 2:
                continue  # a real state has <P> = 0 for an imaginary antisymmetric P
            perm, phase = self._pauli_monomial(paulis, p)
            out[:, p] = (psi.conj() * phase * psi[:, perm]).sum(-1).real
        return out

    def co_states(self, psi: torch.Tensor, paulis: LocalPaulis, weights: torch.Tensor):
        """lambda_k = sum_p weights[m, k, p] P_p psi: (M, K, 2**n)."""
        psi = psi[:, 0]
        weights = weights.to(self.dtype)
        diag = np.flatnonzero(paulis.xmask == 0)
        lam = psi[:, None, :] * (
            weights[:, :, diag] @ self._signs(paulis.zmask[diag], self.dtype).T
        )
        for p in np.flatnonzero(paulis.xmask != 0):
            if self.real and paulis.ny[p] % 2:
                continue
            perm, phase = self._pauli_monomial(paulis, p)
            lam = lam + weights[:, :, p, None] * (phase * psi[:, perm])[:, None, :]
        return lam

    def _signs(self, zmask: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
        """(2**n, n_z) matrix of (-1)**popcount(i & z), cached."""
        key = ("signs", zmask.tobytes(), dtype)
        if key not in self._const:
            parity = _parity(np.arange(2**self.n)[:, None] & zmask[None, :])
            signs = torch.as_tensor(1 - 2 * parity, dtype=dtype, device=self.device)
            self._const[key] = (None, signs)
        return self._const[key][1]

    def _pauli_monomial(self, paulis: LocalPaulis, p: int):
        """(perm, phase) with (P psi)[i] = phase[i] psi[perm[i]], cached."""
        key = ("pauli", int(paulis.xmask[p]), int(paulis.zmask[p]), int(paulis.ny[p]))
        if key not in self._const:
            src = np.arange(2**self.n) ^ int(paulis.xmask[p])
            phase = (1j ** int(paulis.ny[p])) * (1 - 2 * _parity(src & int(paulis.zmask[p])))
            phase = phase.real if self.real else phase
            perm = torch.as_tensor(src, device=self.device)
            self._const[key] = (
                None,
                (perm, torch.as_tensor(phase, dtype=self.dtype, device=self.device)),
            )
        return self._const[key][1]

    # ---------------------------------------------------------------- adjoint
    def adjoint(self, batch: Batch, states, mats, lam: torch.Tensor) -> torch.Tensor:
        """d<lambda-weighted observables>/d angles: (M, K, n_slots), real."""
        M, K, _ = lam.shape
        grads = torch.zeros(M, K, len(self.comp.slots), dtype=self.rdtype, device=self.device)
        steps = self.comp.steps
        for i in range(len(steps) - 1, -1, -1):
            step, psi = steps[i], states[i]
            if isinstance(step, KronStep):
                self._kron_grads(step, psi, lam, grads)
            elif isinstance(step, DenseStep) and step.rotation is not None:
                dpsi = _apply_dense(psi, self._derivative(step.rotation), step.qubits, self.n)
                grads[:, :, step.slot] = 2 * (lam.conj() * dpsi).sum(-1).real
            if i > 0:
                lam = self._apply(i, lam, batch, adjoint=True, gate_mats=mats[i])[0]
        return grads

    def _kron_grads(self, step: KronStep, psi, lam, grads) -> None:
        rotations = [g for g in step.gates if g.rotation is not None]
        for q0, k in self.chunks:
            inside = [g for g in rotations if q0 <= g.qubit < q0 + k]
            if not inside:
                continue
            cross = _cross(psi, lam, q0, k, self.n)  # (M, K, d, d)
            rho = _reduce(cross, [g.qubit - q0 for g in inside], k)  # (M, K, g, 2, 2)
            dmat = torch.stack([self._derivative(g.rotation).T for g in inside])  # (g, 2, 2)
            slots = torch.as_tensor([g.slot for g in inside], device=grads.device)
            grads[:, :, slots] = 2 * (rho * dmat).sum((-1, -2)).real


def _parity(values: np.ndarray) -> np.ndarray:
    """popcount(v) mod 2, elementwise, for non-negative ints below 2**62."""
    v = values.astype(np.uint64)
    for shift in (32, 16, 8, 4, 2, 1):
        v ^= v >> np.uint64(shift)
    return (v & np.uint64(1)).astype(np.int64)


def _dagger(u: torch.Tensor) -> torch.Tensor:
    return u.conj().transpose(-1, -2) if u.is_complex() else u.transpose(-1, -2)


def _apply_chunk(v: torch.Tensor, u: torch.Tensor, q0: int, k: int, n: int) -> torch.Tensor:
    """Apply a matrix on qubits [q0, q0+k) of v (M, S, 2**n).

    ``u`` is (d, d), or (B, d, d) with B dividing M: one matrix per block of M // B
    consecutive rows (B = M: per row; B = Gc: per component, rows being component-major).
    """
    M, S, _ = v.shape
    d, C = 2**k, 2**q0
    lead = u.shape[0] if u.dim() == 3 else 1
    if C == 1:
        out = v.reshape(lead, -1, d) @ u.transpose(-1, -2)
    elif u.dim() == 3:  # einsum, not a broadcast matmul: the latter ran 10x slower on 2 threads
        out = torch.einsum("lij,lxjc->lxic", u, v.reshape(lead, -1, d, C))
    else:
        out = torch.einsum("ij,xjc->xic", u, v.reshape(-1, d, C))
    return out.reshape(M, S, -1)


def _apply_dense(v: torch.Tensor, u: torch.Tensor, qubits: tuple[int, ...], n: int) -> torch.Tensor:
    """Apply a (M, d, d) or (d, d) matrix on arbitrary qubits (gate qubit j = qubits[j])."""
    M, S, _ = v.shape
    k = len(qubits)
    axes = [2 + n - 1 - q for q in reversed(qubits)]
    x = v.reshape((M, S) + (2,) * n).movedim(axes, list(range(2 + n - k, 2 + n)))
    shape = x.shape
    x = x.reshape(M, -1, 2**k) @ u.transpose(-1, -2)
    x = x.reshape(shape).movedim(list(range(2 + n - k, 2 + n)), axes)
    return x.reshape(M, S, -1)


def _cross(psi: torch.Tensor, lam: torch.Tensor, q0: int, k: int, n: int) -> torch.Tensor:
    """X[m, k, a, b] = sum over other qubits of psi[..a..] conj(lam[..b..]) on chunk [q0, q0+k)."""
    M, K, _ = lam.shape
    d, A, C = 2**k, 2 ** (n - q0 - k), 2**q0
    lam_c = lam.conj() if lam.is_complex() else lam
    if C == 1:
        return psi.reshape(M, A, d).transpose(1, 2)[:, None] @ lam_c.reshape(M, K, A, d)
    if A == 1:
        return psi.reshape(M, 1, d, C) @ lam_c.reshape(M, K, d, C).transpose(-1, -2)
    return torch.einsum("madc,mkaec->mkde", psi.reshape(M, A, d, C), lam_c.reshape(M, K, A, d, C))


_REDUCE_INDEX: dict[tuple, torch.Tensor] = {}


def _reduce(cross: torch.Tensor, qubits: list[int], k: int) -> torch.Tensor:
    """Partial traces of a chunk cross matrix (M, K, d, d) down to each of ``qubits``.

    Returns (M, K, len(qubits), 2, 2) from one gather: rho_j[a, b] = sum_m X[r(a, m), r(b, m)]
    where r(a, m) puts bit a at position j among the other bits m.
    """
    key = (tuple(qubits), k)
    if key not in _REDUCE_INDEX:
        rest = np.arange(2 ** (k - 1))
        flats = []
        for j in qubits:
            low, high = rest & ((1 << j) - 1), (rest >> j) << (j + 1)
            rows = np.stack([high | low, high | (1 << j) | low])  # (2, 2**(k-1))
            flats.append(rows[:, None, :] * 2**k + rows[None, :, :])  # (2, 2, 2**(k-1))
        _REDUCE_INDEX[key] = torch.as_tensor(np.stack(flats).reshape(-1))
    M, K = cross.shape[:2]
    idx = _REDUCE_INDEX[key].to(cross.device)
    return cross.reshape(M, K, -1)[:, :, idx].reshape(M, K, len(qubits), 2, 2, -1).sum(-1)
