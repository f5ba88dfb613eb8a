"""The score of a line of physical qubits: the estimated fidelity of a sub-generator on it.

A HybridQ sub-generator on n qubits runs RY(x), then L x [RY(theta) on every qubit, CNOT chain
(0,1), ..., (n-2,n-1)], and reads <Z_i> on every qubit (``circuits/ansatz.py``). On a line of
physical qubits its estimated fidelity is the product of the (1 - error) terms it meets
(``transpile/fidelity.py``), kept as a sum of logs:

* two-qubit: L CNOTs on each of its n-1 couplers, at the coupler's native-gate error (ECR, CZ or
  CX; the better direction, since translation turns a CNOT around with one-qubit gates);
* one-qubit: about 2(L+1) ``sx`` per qubit for the RY gates plus L/2 per CNOT it takes part in
  (the dressing of the native gate), at the qubit's ``sx`` error;
* readout: every qubit is read, at its readout error;
* decoherence: idle time = the line's duration (an as-soon-as-possible schedule of the chain with
  the couplers' own durations) minus the qubit's busy time, charged as F_idle(T1, T2).

Everything is vectorised over candidate lines: ``score_paths`` takes a (P, n) array of lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from transpile.fidelity import ErrorData, FidelityParts, idle_log_fidelity

PARTS = ("two_qubit", "one_qubit", "readout", "decoherence")  # the log-fidelity components


@dataclass(frozen=True)
class LineScore(FidelityParts):
    """Estimated fidelity of one line, split by source (natural logs, <= 0).

    Attributes:
        qubits: Physical qubits in chain order (qubit i of the sub-generator on ``qubits[i]``).
        two_qubit: log prod (1 - e_2q)^L over its couplers.
        one_qubit: log prod (1 - e_sx)^(n_sx) over its qubits.
        readout: log prod (1 - e_readout) over its qubits.
        decoherence: sum of log F_idle over its qubits.
        duration: Estimated duration of the sub-generator on this line, in s.
        weakest_edge: The coupler with the largest two-qubit error, and that error.
    """

    qubits: tuple[int, ...]
    two_qubit: float
    one_qubit: float
    readout: float
    decoherence: float
    duration: float
    weakest_edge: tuple[int, int, float]


def sx_counts(length: int, n_layers: int) -> np.ndarray:
    """(length,) estimated sx count per qubit: 2 per RY, L/2 per CNOT the qubit is in."""
    degree = np.full(length, 2.0)
    degree[[0, -1]] = 1.0 if length > 1 else 0.0
    return 2.0 * (n_layers + 1) + n_layers * degree / 2


def additive_costs(
    errors: ErrorData, length: int, n_layers: int
) -> tuple[np.ndarray, dict[tuple[int, int], float]]:
    """An additive stand-in for the score, to prune partial lines while growing candidates.

    The idle term depends on the whole line's duration; here every qubit is charged at a typical
    duration (median gate times) as an interior qubit, so a line's cost is a sum over its qubits
    and couplers.

    Returns:
        (n,) -log F per qubit, and per coupler ``(a, b)``, ``a < b``: -L log(1 - e_2q).
    """
    two = {e: -n_layers * np.log1p(-err) for e, (err, _) in errors.edges.items()}
    d2 = float(np.median([dur for _, dur in errors.edges.values()])) if errors.edges else 0.0
    ry = 2.0 * errors.sx_duration
    duration = (n_layers + 1) * np.median(ry) + (length - 1 + 2 * (n_layers - 1)) * d2
    busy = (n_layers + 1) * ry + 2 * n_layers * d2
    n_sx = float(sx_counts(length, n_layers).mean())
    node = -(
        np.log1p(-errors.readout.clip(max=1 - 1e-12))
        + n_sx * np.log1p(-errors.sx_error.clip(max=1 - 1e-12))
        + idle_log_fidelity(duration - busy, errors.t1, errors.t2)
    )
    return node, two


def score_paths(paths: np.ndarray, errors: ErrorData, n_layers: int) -> dict[str, np.ndarray]:
    """Exact score components, each (P,), plus duration and the weakest coupler of each line."""
    n = errors.num_qubits
    err2, dur2 = np.ones((n, n)), np.zeros((n, n))
    for (a, b), (err, dur) in errors.edges.items():
        err2[a, b] = err2[b, a] = err
        dur2[a, b] = dur2[b, a] = dur
    left, right = paths[:, :-1], paths[:, 1:]
    e2, d2 = err2[left, right], dur2[left, right]  # (P, n-1)
    n_sx = sx_counts(paths.shape[1], n_layers)  # (n,)
    duration, busy = schedule(2.0 * errors.sx_duration[paths], d2, n_layers)
    busy = busy + (n_sx - 2.0 * (n_layers + 1)) * errors.sx_duration[paths]
    idle = duration[:, None] - busy
    worst = np.argmax(e2, axis=1) if e2.shape[1] else np.zeros(len(paths), dtype=int)
    return {
        "two_qubit": n_layers * np.log1p(-e2).sum(axis=1),
        "one_qubit": (n_sx * np.log1p(-errors.sx_error[paths])).sum(axis=1),
        "readout": np.log1p(-errors.readout[paths]).sum(axis=1),
        "decoherence": idle_log_fidelity(idle, errors.t1[paths], errors.t2[paths]).sum(axis=1),
        "duration": duration,
        "worst": worst,
        "worst_error": e2[np.arange(len(paths)), worst] if e2.shape[1] else np.zeros(len(paths)),
    }


def schedule(ry: np.ndarray, d2: np.ndarray, n_layers: int) -> tuple[np.ndarray, np.ndarray]:
    """ASAP schedule of RY(x), then L x [RY(theta), CNOT chain] on every line at once.

    Args:
        ry: (P, n) RY duration per qubit (two sx).
        d2: (P, n-1) native two-qubit gate duration per coupler.

    Returns:
        (P,) duration of each line, (P, n) busy time of each qubit.
    """
    free = ry.copy()  # the encoding RY(x)
    for _ in range(n_layers):
        free += ry
        for e in range(d2.shape[1]):
            end = np.maximum(free[:, e], free[:, e + 1]) + d2[:, e]
            free[:, e] = free[:, e + 1] = end
    busy = (n_layers + 1) * ry
    busy[:, :-1] += n_layers * d2
    busy[:, 1:] += n_layers * d2
    return free.max(axis=1), busy


def line_score(paths: np.ndarray, scores: dict[str, np.ndarray], i: int) -> LineScore:
    """The ``LineScore`` of line ``paths[i]`` from ``score_paths``' arrays."""
    p, w = paths[i], int(scores["worst"][i])
    edge = (
        (int(p[w]), int(p[w + 1]), float(scores["worst_error"][i])) if len(p) > 1 else (-1, -1, 0)
    )
    parts = {k: float(scores[k][i]) for k in PARTS}
    return LineScore(
        tuple(int(q) for q in p), **parts, duration=float(scores["duration"][i]), weakest_edge=edge
    )
