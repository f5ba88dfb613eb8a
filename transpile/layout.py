"""Disjoint lines of physical qubits for the sub-generators, chosen by the backend's error data.

Why lines: a HybridQ sub-generator entangles its n qubits with the CNOT chain (0,1), (1,2), ...,
(n-2,n-1), repeated over L layers (``circuits/ansatz.py``). Placed on a simple path of n physical
qubits, every CNOT lands on a coupler and routing adds no SWAP; ten sub-generators in one job
need ten vertex-disjoint paths. On a 127-qubit heavy-hex device that is 100 of 127 qubits, so the
packing is tight.

Score: each line's estimated fidelity from the backend's own error data (two-qubit gate error on
each coupler, ``sx`` and readout errors, T1/T2 against the line's duration from its gate
durations), a sum of logs, ``transpile/line_score.py``. A set of lines scores the sum.

Search:

1. Candidates: every simple path of n working qubits over working couplers (error < 1), grown from
   each start qubit by a beam that keeps the ``beam`` cheapest partial paths under an additive
   version of the score. Heavy-hex has degree <= 3, so this is exhaustive there (1,211 lines on
   fake_brisbane, a few ms); on denser lattices the beam bounds the count and the stats say so.
2. Each candidate gets its exact score, vectorised over candidates.
3. Packing: choose k pairwise disjoint candidates of maximum total log fidelity, a weighted set
   packing with a cardinality constraint, solved exactly as an integer program::

       min sum_p c_p x_p   s.t.  sum_{p contains q} x_p <= 1 for each qubit q,
                                 sum_p x_p = k,   x_p in {0, 1},   c_p = -log F_p.

   HiGHS (``scipy.optimize.milp``, presolve off: it costs more than it saves here) proves the
   optimum on fake_brisbane (1,211 binaries, 128 rows) in about 0.2 s; the LP relaxation is
   within 2% of it, so branch and bound has little to do. Plain greedy best-first (take the best
   line, drop those it touches, repeat) cuts the lattice with its first picks and fits only 8
   lines on fake_brisbane and 6 on fake_torino; the joint solution gives up a little on the first
   lines to fit all ten. Greedy is run too and reported beside the result. When k disjoint lines
   do not exist, feasibility programs for k-1, k-2, ... say how many do (maximizing the count
   directly is a highly symmetric program that takes HiGHS seconds).

The search has no random step, so it needs no seed: the same calibration gives the same lines.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

from transpile.fidelity import ErrorData
from transpile.line_score import PARTS, LineScore, additive_costs, line_score, score_paths

METHODS = ("milp", "greedy")


class LayoutError(ValueError):
    """The coupling map cannot hold the lines asked for; the message says what fits."""


@dataclass(frozen=True)
class SearchStats:
    """How the lines were found.

    Attributes:
        candidates: Distinct lines scored.
        exhaustive: True when the beam pruned nothing (every simple line was a candidate).
        method: ``milp`` (exact packing) or ``greedy`` (best-first baseline).
        status: The packing's verdict (solver message, or how many lines greedy fit).
        greedy_lines: How many lines plain greedy best-first fits (at most k).
        greedy_log_fidelity: Total log fidelity of those greedy lines.
        seconds: Wall time of the whole search.
    """

    candidates: int
    exhaustive: bool
    method: str
    status: str
    greedy_lines: int
    greedy_log_fidelity: float
    seconds: float


@dataclass(frozen=True)
class LineLayout:
    """Disjoint lines on a backend, best first, with their scores and how they were found."""

    backend: str
    gate: str
    num_qubits: int
    n_layers: int
    lines: tuple[tuple[int, ...], ...]
    scores: tuple[LineScore, ...]
    stats: SearchStats

    @property
    def total_log_fidelity(self) -> float:
        return float(sum(s.log_fidelity for s in self.scores))

    @property
    def initial_layout(self) -> list[int]:
        """Physical qubit of each logical qubit when line g holds logical qubits [g*n, (g+1)*n)."""
        return [q for line in self.lines for q in line]

    def report(self) -> str:
        """What was chosen and why, as plain text."""
        return _report(self)


def find_lines(
    backend,
    n_lines: int = 10,
    line_length: int = 10,
    *,
    n_layers: int = 6,
    method: str = "milp",
    beam: int = 256,
    time_limit: float = 10.0,
) -> LineLayout:
    """``n_lines`` vertex-disjoint lines of ``line_length`` qubits of maximum total fidelity.

    Args:
        backend: A ``BackendV2`` (or anything with ``.target`` and ``.name``) or a ``Target``.
        n_lines: Lines k (sub-generators run side by side).
        line_length: Qubits n per line (qubits per sub-generator).
        n_layers: CNOT-chain layers L of each sub-generator (weights the two-qubit errors).
        method: ``milp`` (exact packing) or ``greedy`` (best-first, the baseline).
        beam: Partial lines kept per start qubit while growing candidates.
        time_limit: Seconds the integer program may take before its best packing is used.

    Returns:
        The lines, best first, with scores and search statistics.

    Raises:
        LayoutError: The coupling map cannot hold ``n_lines`` disjoint lines of that length.
    """
    start = time.perf_counter()
    _check(n_lines, line_length, method, beam)
    target = getattr(backend, "target", backend)
    errors = ErrorData.from_target(target)
    name = getattr(backend, "name", None) or "target"
    _check_room(errors, n_lines, line_length, name)
    paths, exhaustive = _candidates(errors, line_length, n_layers, beam)
    scores = score_paths(paths, errors, n_layers)
    cost = -sum(scores[k] for k in PARTS)  # (P,) -log F of each candidate
    greedy = _pack_greedy(paths, cost, n_lines, errors.num_qubits)
    if method == "milp":
        chosen, status = _pack_milp(paths, cost, n_lines, errors.num_qubits, time_limit)
    else:
        chosen, status = greedy, f"greedy best-first fit {len(greedy)} lines"
    if len(chosen) < n_lines:
        _raise_too_few(paths, n_lines, line_length, len(greedy), name, method, errors.num_qubits)
    chosen = sorted(chosen, key=lambda i: cost[i])
    stats = SearchStats(
        candidates=len(paths),
        exhaustive=exhaustive,
        method=method,
        status=status,
        greedy_lines=len(greedy),
        greedy_log_fidelity=-float(cost[greedy].sum()),
        seconds=time.perf_counter() - start,
    )
    line_scores = tuple(line_score(paths, scores, i) for i in chosen)
    lines = tuple(s.qubits for s in line_scores)
    return LineLayout(name, errors.gate, errors.num_qubits, n_layers, lines, line_scores, stats)


def score_lines(backend, lines, *, n_layers: int = 6) -> tuple[LineScore, ...]:
    """The score ``find_lines`` gives each of ``lines`` (any lines of equal length).

    Raises:
        LayoutError: A consecutive pair of a line is not a working coupler.
    """
    errors = ErrorData.from_target(getattr(backend, "target", backend))
    for line in lines:
        for a, b in zip(line[:-1], line[1:], strict=True):
            if (min(a, b), max(a, b)) not in errors.edges:
                raise LayoutError(
                    f"qubits {a} and {b} of line {list(line)} share no working coupler"
                )
    paths = np.array(lines, dtype=int)
    scores = score_paths(paths, errors, n_layers)
    return tuple(line_score(paths, scores, i) for i in range(len(paths)))


def _check(n_lines: int, line_length: int, method: str, beam: int) -> None:
    if n_lines < 1 or line_length < 1 or beam < 1:
        raise LayoutError(
            f"n_lines, line_length and beam must be >= 1, got {n_lines}, {line_length}, {beam}"
        )
    if method not in METHODS:
        raise LayoutError(f"method must be one of {METHODS}, got {method!r}")


def _check_room(errors: ErrorData, n_lines: int, line_length: int, name: str) -> None:
    """Fail fast when there are not even enough working qubits."""
    usable = len(errors.usable_qubits)
    if n_lines * line_length > usable:
        raise LayoutError(
            f"{name} has {usable} working qubits, too few for {n_lines} lines of {line_length}: "
            "ask for fewer lines (e.g. run the sub-generators as separate circuits)"
        )


def _candidates(
    errors: ErrorData, length: int, n_layers: int, beam: int
) -> tuple[np.ndarray, bool]:
    """(P, length) distinct simple lines (each in one orientation), and whether none was pruned."""
    usable = set(errors.usable_qubits)
    adjacent: dict[int, list[int]] = {q: [] for q in usable}
    for a, b in errors.edges:
        if a in usable and b in usable:
            adjacent[a].append(b)
            adjacent[b].append(a)
    node, edge = additive_costs(errors, length, n_layers)
    found: set[tuple[int, ...]] = set()
    exhaustive = True
    for start in sorted(usable):
        partial = [(node[start], (start,))]
        for _ in range(length - 1):
            partial = [
                (cost + edge[min(p[-1], q), max(p[-1], q)] + node[q], p + (q,))
                for cost, p in partial
                for q in adjacent[p[-1]]
                if q not in p
            ]
            if len(partial) > beam:
                exhaustive = False
                partial = heapq.nsmallest(beam, partial)
        found.update(min(p, p[::-1]) for _, p in partial)
    return np.array(sorted(found), dtype=int).reshape(-1, length), exhaustive


def _pack_greedy(paths: np.ndarray, cost: np.ndarray, k: int, n: int) -> list[int]:
    """Plain best-first: take the cheapest line that touches no taken qubit, k times at most."""
    used = np.zeros(n, dtype=bool)
    chosen: list[int] = []
    for i in np.argsort(cost, kind="stable"):
        if len(chosen) == k:
            break
        if not used[paths[i]].any():
            used[paths[i]] = True
            chosen.append(int(i))
    return chosen


def _incidence(paths: np.ndarray, n: int) -> csr_array:
    """(n, P) 0/1 matrix: qubit q lies on candidate p."""
    P, m = paths.shape
    cols = np.repeat(np.arange(P), m)
    return csr_array((np.ones(P * m), (paths.ravel(), cols)), shape=(n, P))


def _pack_milp(
    paths: np.ndarray, cost: np.ndarray, k: int, n: int, time_limit: float
) -> tuple[list[int], str]:
    """Exact maximum-fidelity packing of k disjoint lines (see the module docstring)."""
    if len(paths) < k:
        return [], "too few candidates"
    if k == 1:
        return [int(np.argmin(cost))], "the single best line"
    rows = [
        LinearConstraint(_incidence(paths, n), 0, 1),
        LinearConstraint(np.ones((1, len(paths))), k, k),
    ]
    res = milp(
        cost,
        integrality=np.ones(len(paths)),
        bounds=Bounds(0, 1),
        constraints=rows,
        options={"time_limit": time_limit, "presolve": False},
    )
    if res.x is None and res.status == 1:
        raise LayoutError(f"no packing of {k} lines found within {time_limit} s: raise time_limit")
    if res.x is None:
        return [], res.message
    gap = getattr(res, "mip_gap", None)
    status = res.message if res.status == 0 else f"{res.message} (gap {gap:.2g})"
    return [int(i) for i in np.flatnonzero(res.x > 0.5)], status


def _raise_too_few(paths, k: int, length: int, found: int, name: str, method: str, n: int):
    """Raise LayoutError saying how many disjoint lines fit (``found`` by greedy at least)."""
    if method == "greedy":
        raise LayoutError(
            f"{name}: plain greedy best-first fits only {found} of {k} lines of {length} qubits; "
            "method='milp' packs them jointly"
        )
    most = next((j for j in range(k - 1, found, -1) if _feasible(paths, j, n)), found)
    raise LayoutError(
        f"{name}'s coupling map holds at most {most} disjoint lines of {length} working qubits, "
        f"{k} asked for: use fewer or shorter lines (or separate circuits)"
    )


def _feasible(paths: np.ndarray, j: int, n: int) -> bool:
    """Whether j disjoint candidates exist (a feasibility program: fast, unlike max-count)."""
    rows = [
        LinearConstraint(_incidence(paths, n), 0, 1),
        LinearConstraint(np.ones((1, len(paths))), j, j),
    ]
    res = milp(
        np.zeros(len(paths)),
        integrality=np.ones(len(paths)),
        bounds=Bounds(0, 1),
        constraints=rows,
        options={"presolve": False},
    )
    return res.x is not None


def _report(layout: LineLayout) -> str:
    """Plain-text report: the lines, each one's fidelity by source, and the search."""
    st, k = layout.stats, len(layout.lines)
    used = sum(len(line) for line in layout.lines)
    out = [
        f"{layout.backend}: {k} disjoint lines of {len(layout.lines[0])} qubits for "
        f"{layout.n_layers}-layer CNOT chains ({layout.gate}), "
        f"{used} of {layout.num_qubits} qubits",
        f"estimated fidelity of all lines {np.exp(layout.total_log_fidelity):.3e} "
        f"(log {layout.total_log_fidelity:.3f})",
        f"search: {st.candidates} candidate lines ("
        + ("every simple line" if st.exhaustive else "beam-pruned")
        + f"), packing by {st.method} [{st.status}] in {st.seconds:.2f} s",
        _greedy_line(st, k, layout.total_log_fidelity),
        "rank  F      2q     1q     read   idle   dur(us)  weakest coupler  qubits",
    ]
    for rank, s in enumerate(layout.scores, 1):
        a, b, err = s.weakest_edge
        parts = [s.fidelity, *np.exp([s.two_qubit, s.one_qubit, s.readout, s.decoherence])]
        cells = " ".join(f"{v:.3f}".ljust(6) for v in parts)
        out.append(
            f"{rank:<5} {cells} {s.duration * 1e6:<8.2f} {a}-{b} ({err:.4f})".ljust(71)
            + " "
            + "-".join(map(str, s.qubits))
        )
    return "\n".join(out)


def _greedy_line(st: SearchStats, k: int, total: float) -> str:
    if st.greedy_lines < k:
        return (
            f"why not greedy: plain best-first fits only {st.greedy_lines} of {k} lines "
            f"(its picks cut the lattice); the joint packing fits all {k}"
        )
    return (
        f"plain best-first also fits {k} lines, total log fidelity {st.greedy_log_fidelity:.3f} "
        f"vs {total:.3f} here"
    )
