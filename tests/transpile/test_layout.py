"""Disjoint qubit lines: shape, connectivity, optimality against brute force, the score against
the backend's own error data, beating plain greedy, and clear errors."""

import itertools

import numpy as np
import pytest
import rustworkx as rx
from qiskit.transpiler import InstructionProperties

from transpile.backends import generic_heavy_hex, get_backend
from transpile.layout import LayoutError, find_lines, score_lines

N_LAYERS = 2


def _check_lines(layout, backend, n_lines: int, length: int) -> None:
    """Right count and length, pairwise disjoint, each a path of couplers."""
    edges = {tuple(sorted(e)) for e in backend.coupling_map.get_edges()}
    assert len(layout.lines) == n_lines
    assert all(len(line) == length for line in layout.lines)
    qubits = [q for line in layout.lines for q in line]
    assert len(set(qubits)) == len(qubits)
    for line in layout.lines:
        assert all(tuple(sorted(pair)) in edges for pair in zip(line[:-1], line[1:], strict=True))
    assert layout.initial_layout == qubits


def _all_lines(backend, length: int) -> list[tuple[int, ...]]:
    """Every simple path of ``length`` qubits, from rustworkx (an independent enumeration)."""
    graph = rx.PyGraph()
    graph.add_nodes_from(range(backend.num_qubits))
    graph.add_edges_from_no_data(list({tuple(sorted(e)) for e in backend.coupling_map}))
    paths = rx.all_pairs_all_simple_paths(graph, min_depth=length, cutoff=length)
    return sorted(
        {min(tuple(p), tuple(p)[::-1]) for m in paths.values() for ps in m.values() for p in ps}
    )


def test_small_backend_lines_are_disjoint_paths(small):
    layout = find_lines(small, 2, 4, n_layers=N_LAYERS)
    _check_lines(layout, small, 2, 4)
    fids = [s.log_fidelity for s in layout.scores]
    assert fids == sorted(fids, reverse=True)  # best first


def test_candidates_are_every_simple_line(small):
    layout = find_lines(small, 4, 4, n_layers=N_LAYERS)
    assert layout.stats.exhaustive
    assert layout.stats.candidates == len(_all_lines(small, 4))


def test_packing_is_optimal_against_brute_force(small):
    # 4 lines of 4 on 19 qubits: plain greedy fits only 3; brute force over all 4-subsets of
    # candidate lines finds the best disjoint set, which the search must match.
    layout = find_lines(small, 4, 4, n_layers=N_LAYERS)
    lines = _all_lines(small, 4)
    score = {
        line: s.log_fidelity
        for line, s in zip(lines, score_lines(small, lines, n_layers=N_LAYERS), strict=True)
    }
    best = max(
        sum(score[line] for line in combo)
        for combo in itertools.combinations(lines, 4)
        if len({q for line in combo for q in line}) == 16
    )
    assert layout.total_log_fidelity == pytest.approx(best, abs=1e-9)
    assert layout.stats.greedy_lines == 3
    _check_lines(layout, small, 4, 4)


def test_plain_greedy_fails_where_the_packing_succeeds(small):
    with pytest.raises(LayoutError, match="greedy best-first fits only 3 of 4"):
        find_lines(small, 4, 4, n_layers=N_LAYERS, method="greedy")


def test_score_uses_the_backends_own_errors(small):
    line = find_lines(small, 1, 4, n_layers=N_LAYERS).lines[0]
    (score,) = score_lines(small, [line], n_layers=N_LAYERS)
    target = small.target
    cx = [target["cx"][pair].error for pair in zip(line[:-1], line[1:], strict=True)]
    cx_back = [target["cx"][pair[::-1]].error for pair in zip(line[:-1], line[1:], strict=True)]
    best = np.minimum(cx, cx_back)  # the better direction: translation turns a CNOT around
    assert score.two_qubit == pytest.approx(N_LAYERS * np.log1p(-best).sum())
    readout = [target["measure"][(q,)].error for q in line]
    assert score.readout == pytest.approx(np.log1p(-np.array(readout)).sum())
    assert score.one_qubit < 0 and score.decoherence < 0 and score.duration > 0
    assert score.fidelity == pytest.approx(np.exp(score.log_fidelity))


def test_a_broken_coupler_is_never_used():
    backend = generic_heavy_hex(3, seed=3)
    best = find_lines(backend, 1, 4, n_layers=N_LAYERS).lines[0]
    a, b = best[1], best[2]
    for pair in ((a, b), (b, a)):
        if pair in backend.target["cx"]:
            backend.target.update_instruction_properties(
                "cx", pair, InstructionProperties(error=1.0)
            )
    line = find_lines(backend, 1, 4, n_layers=N_LAYERS).lines[0]
    assert {(a, b), (b, a)}.isdisjoint(zip(line[:-1], line[1:], strict=True))


def test_too_many_lines_is_a_one_line_error(small):
    with pytest.raises(LayoutError, match="at most") as err:
        find_lines(small, 3, 6, n_layers=N_LAYERS)  # 18 of 19 qubits: only 2 lines fit
    assert "\n" not in str(err.value)
    with pytest.raises(LayoutError, match="working qubits"):
        find_lines(small, 5, 4)  # 20 qubits > 19
    with pytest.raises(LayoutError):
        find_lines(small, 0, 4)
    with pytest.raises(LayoutError, match="share no working coupler"):
        score_lines(small, [(0, 5)])


def test_deterministic(small):
    first, second = find_lines(small, 4, 4), find_lines(small, 4, 4)
    assert first.lines == second.lines and first.scores == second.scores


def test_brisbane_ten_lines_where_greedy_fits_eight(brisbane):
    layout = find_lines(brisbane)
    _check_lines(layout, brisbane, 10, 10)
    assert layout.stats.exhaustive and layout.stats.greedy_lines < 10
    assert "Optimal" in layout.stats.status
    broken = {(24, 25), (25, 24)}  # fake_brisbane's coupler with error 1
    assert all(broken.isdisjoint(zip(line[:-1], line[1:], strict=True)) for line in layout.lines)
    report = layout.report()
    assert "fits only" in report and all("-".join(map(str, li)) in report for li in layout.lines)
    with pytest.raises(LayoutError, match="fits only 8 of 10"):
        find_lines(brisbane, method="greedy")
    with pytest.raises(LayoutError, match="at most 10 disjoint lines"):
        find_lines(brisbane, 11, 10)  # 110 of 127 qubits: the room check passes, packing fails


@pytest.mark.parametrize(
    "name", ["fake_sherbrooke", "fake_kyiv", "fake_torino", "fake_fez", "fake_marrakesh"]
)
def test_ten_lines_on_other_eagle_and_heron_devices(name):
    backend = get_backend(name)
    layout = find_lines(backend)
    _check_lines(layout, backend, 10, 10)
    if layout.stats.greedy_lines == 10:  # then the exact packing is at least as good
        assert layout.total_log_fidelity >= layout.stats.greedy_log_fidelity - 1e-9
