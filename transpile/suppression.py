"""Error suppression on ISA circuits: idle scheduling, dynamical decoupling, Pauli twirling.

* Idle padding: the circuit is scheduled as late as possible with the Target's durations and
  every idle stretch becomes a ``delay``, on which Aer's device noise model applies T1/T2
  relaxation. Without it a simulated qubit would not decohere while it waits for the CNOT chain.
* Dynamical decoupling (Viola, Knill & Lloyd, PRL 82, 2417 (1999)): idle stretches are filled
  with a sequence that multiplies to the identity. "XX" is X X; "XpXm" is X then -X, which is
  X X up to a global phase, so locally it equals "XX" (the sign matters only at pulse level);
  "XY4" is X Y X Y with each Y written as RZ(pi/2) X RZ(-pi/2), since IBM bases have no Y gate
  (RZ is virtual: zero duration, no error). Aer's relaxation is Markovian, which DD cannot
  refocus, so locally DD only adds its pulses' errors; on hardware it suppresses coherent
  idle errors (ZZ crosstalk, detuning), which is what it is for.
* Pauli twirling (Wallman & Emerson, PRA 94, 052325 (2016)): random Paulis around each
  two-qubit gate, compensated after it, turn its noise into a Pauli channel that folding
  amplifies predictably. Qiskit's ``pauli_twirl_2q_gates`` with the Target keeps it ISA.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Gate, pauli_twirl_2q_gates
from qiskit.circuit.library import RZGate, XGate
from qiskit.transpiler import PassManager, Target
from qiskit.transpiler.passes import ALAPScheduleAnalysis, PadDelay, PadDynamicalDecoupling

from transpile.mitigation_config import DD_SEQUENCES


def dd_sequence(name: str) -> tuple[list[Gate], list[float] | None]:
    """Gates of the DD sequence ``name`` in time order, and their spacing (None: uniform).

    The spacing puts tau/2 before the first and after the last pulse and tau between pulses;
    XY4's RZ frame changes sit right next to their X pulse (zero gap).
    """
    if name in ("XX", "XpXm"):
        return [XGate(), XGate()], None
    if name == "XY4":
        quarter = np.pi / 2
        y = [RZGate(-quarter), XGate(), RZGate(quarter)]  # Y = RZ(pi/2) X RZ(-pi/2), time order
        gates = [XGate(), *y, XGate(), *y]
        spacing = [1 / 8, 1 / 4, 0, 0, 1 / 4, 1 / 4, 0, 0, 1 / 8]
        return gates, spacing
    raise ValueError(f"dd must be one of {DD_SEQUENCES[1:]} (or 'none'), got {name!r}")


def pad_idle(circuit: QuantumCircuit, target: Target, dd: str = "none") -> QuantumCircuit:
    """Schedule ``circuit`` ALAP on ``target`` and fill idle time with delays or a DD sequence.

    Args:
        circuit: An ISA circuit for ``target`` (unmeasured or measured).
        target: Supplies the durations (and, for DD, the X gate's).
        dd: "none" (delays only) or one of ``DD_SEQUENCES``.

    Returns:
        The scheduled circuit; its unitary equals the input's.
    """
    if dd == "none":
        pad = PadDelay(target=target)
    else:
        gates, spacing = dd_sequence(dd)
        pad = PadDynamicalDecoupling(target=target, dd_sequence=gates, spacing=spacing)
    return PassManager([ALAPScheduleAnalysis(target=target), pad]).run(circuit)


def twirled(
    circuit: QuantumCircuit, num_twirls: int, *, seed: int, target: Target | None = None
) -> list[QuantumCircuit]:
    """``num_twirls`` Pauli-twirled copies of ``circuit`` (each equivalent to it).

    With ``target`` the inserted Paulis are written in its basis, so an ISA circuit stays ISA.
    Parameters are kept: twirling touches only the two-qubit gates' neighbourhoods.
    """
    if num_twirls < 1:
        raise ValueError(f"num_twirls must be >= 1, got {num_twirls}")
    out = pauli_twirl_2q_gates(circuit, seed=seed, num_twirls=num_twirls, target=target)
    return list(out)


def twirl_variants(circuits: list[QuantumCircuit], cfg, target: Target, seed: int) -> list:
    """Each circuit as ``cfg.twirls`` twirled copies (the local simulation's share of twirling)."""
    return [c for x in circuits for c in twirled(x, cfg.twirls, seed=seed, target=target)]


def dd_variants(circuits: list[QuantumCircuit], cfg, target: Target, seed: int) -> list:
    """Each circuit scheduled with ``cfg.dd_sequence`` in its idle stretches."""
    return [pad_idle(c, target, cfg.dd_sequence) for c in circuits]


def twirling_options(cfg) -> dict:
    """Gate twirling in IBM Runtime's ``EstimatorOptions``."""
    return {
        "twirling": {
            "enable_gates": cfg.twirling,
            "num_randomizations": cfg.twirls if cfg.twirling else "auto",
        }
    }


def dd_options(cfg) -> dict:
    """Dynamical decoupling in IBM Runtime's ``EstimatorOptions``."""
    return {"dynamical_decoupling": {"enable": cfg.dd, "sequence_type": cfg.dd_sequence}}
