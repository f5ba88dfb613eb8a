"""``PTMSampler``: a Qiskit ``BaseSamplerV2`` on the batched noisy engine of ``transpile.ptm``.

Each pub's circuit is compiled once (and reused by every later pub of the same structure on the
same device noise, e.g. the next chunk of a hardware run), all its parameter sets are simulated
in one batch, and the shots are drawn from each set's exact outcome distribution, readout
error included: the same distribution Aer's density-matrix sampler draws from, at a fraction
of the time. It follows the V2 contract (``SamplerPub.coerce``, ``PrimitiveJob``,
``SamplerPubResult(DataBin(<creg>=BitArray))``), so ``transpile.mitigation`` uses it exactly
as it uses Aer's ``SamplerV2``.

Seeding: ``seed`` starts one NumPy stream per ``run`` call, consumed pub after pub, so a call
repeats exactly and distinct pubs of a call get independent shots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.primitives import BaseSamplerV2, PrimitiveJob, PrimitiveResult, SamplerPubResult
from qiskit.primitives.containers import BitArray, DataBin
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit.providers import BackendV2

from transpile.device_noise import device_noise, target_fingerprint
from transpile.ptm import Program

DTYPES = {"float32": torch.float32, "float64": torch.float64}
_PROGRAMS: dict[str, Program] = {}
_PROGRAM_CACHE = 256  # compiled circuits kept (a 10-line generator at 3 ZNE scales: ~40)


class PTMSampler(BaseSamplerV2):
    """Samples circuits on ``backend``'s device noise model (Aer's), batched over parameters.

    Args:
        backend: The (reduced) backend whose noise model is simulated; None: ideal.
        noise: False simulates the circuits without noise.
        default_shots: Shots of a pub that does not say.
        seed: Seed of the shots (see the module docstring).
        dtype: "float32" (default; rounding ~1e-8 in probabilities) or "float64".
    """

    def __init__(
        self,
        *,
        backend: BackendV2 | None = None,
        noise: bool = True,
        default_shots: int = 1024,
        seed: int | None = None,
        dtype: str = "float32",
    ):
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {' | '.join(DTYPES)}, got {dtype!r}")
        self._noise = device_noise(backend, noise=noise and backend is not None)
        self._key = target_fingerprint(backend.target) if self._noise.model is not None else ""
        self._default_shots, self._seed, self._dtype = default_shots, seed, DTYPES[dtype]

    def run(
        self, pubs: Iterable, *, shots: int | None = None
    ) -> PrimitiveJob[PrimitiveResult[SamplerPubResult]]:
        coerced = [SamplerPub.coerce(pub, shots or self._default_shots) for pub in pubs]
        job = PrimitiveJob(self._run, coerced)
        job._submit()
        return job

    def _run(self, pubs: list[SamplerPub]) -> PrimitiveResult[SamplerPubResult]:
        rng = np.random.default_rng(self._seed)
        return PrimitiveResult([self._run_pub(p, rng) for p in pubs], metadata={"version": 2})

    def _run_pub(self, pub: SamplerPub, rng: np.random.Generator) -> SamplerPubResult:
        circuit = pub.circuit
        data = {}
        if circuit.cregs:
            program = self.program(circuit)
            sets = int(np.prod(pub.shape, dtype=int))
            values = np.zeros((sets, 0))
            if circuit.num_parameters:
                values = pub.parameter_values.as_array(circuit.parameters).reshape(sets, -1)
            probs = program.probabilities(values, self._dtype)  # (P, 2^clbits)
            samples = draw(rng, probs, pub.shots)  # (P, shots) outcome indices
            creg = circuit.cregs[0]
            data[creg.name] = BitArray(
                _packed(samples, creg.size).reshape(pub.shape + (pub.shots, -1)), creg.size
            )
        return SamplerPubResult(
            DataBin(**data, shape=pub.shape),
            metadata={"shots": pub.shots, "circuit_metadata": circuit.metadata},
        )

    def program(self, circuit: QuantumCircuit) -> Program:
        """The compiled circuit, shared with every earlier circuit of the same structure."""
        key = self._key + _structure(circuit)
        if key not in _PROGRAMS:
            if len(_PROGRAMS) >= _PROGRAM_CACHE:
                _PROGRAMS.pop(next(iter(_PROGRAMS)))
            _PROGRAMS[key] = Program(circuit, self._noise)
        return _PROGRAMS[key]


def draw(rng: np.random.Generator, probs: np.ndarray, shots: int) -> np.ndarray:
    """(P, shots) outcome indices, each row drawn from its row of ``probs`` (P, K)."""
    cdf = np.cumsum(probs, axis=1)
    cdf /= cdf[:, -1:]  # exact 1 at the end, so every uniform number lands inside
    u = rng.random((len(probs), shots))
    out = np.stack([np.searchsorted(c, row, side="right") for c, row in zip(cdf, u, strict=True)])
    return np.minimum(out, probs.shape[1] - 1)


def _packed(samples: np.ndarray, num_bits: int) -> np.ndarray:
    """(..., ceil(num_bits / 8)) uint8: BitArray's big-endian bytes of each outcome index."""
    num_bytes = (num_bits + 7) // 8
    shifts = 8 * np.arange(num_bytes - 1, -1, -1)
    return ((samples[..., None] >> shifts) & 0xFF).astype(np.uint8)


def _structure(circuit: QuantumCircuit) -> str:
    """sha256 of what a compiled program depends on: every instruction, its qubits, clbits,
    parameters (as written) and duration, and the circuit's parameter order."""
    h = hashlib.sha256()
    h.update(repr([p.name for p in circuit.parameters]).encode())
    h.update(repr((circuit.num_qubits, [(r.name, r.size) for r in circuit.cregs])).encode())
    for inst in circuit.data:
        op = inst.operation
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        clbits = [circuit.find_bit(c).index for c in inst.clbits]
        params = [str(p) for p in op.params]
        h.update(repr((op.name, qubits, clbits, params, getattr(op, "duration", None))).encode())
    return h.hexdigest()
