"""Tensored readout mitigation: exact inversion of a known assignment matrix (analytic), the
single-qubit formula, calibrations from bits, from the Target and measured on a noisy backend."""

import itertools

import numpy as np
import pytest
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from transpile.noisy import noisy_sampler, reduced_backend
from transpile.readout import (
    ReadoutCalibration,
    calibration_circuits,
    calibration_from_bits,
    calibration_from_target,
    pauli_means,
)


def _outcomes(k: int) -> np.ndarray:
    """(2**k, k) bool: row x holds the bits of x, qubit q = bit q (little-endian)."""
    return (np.arange(2**k)[:, None] >> np.arange(k)) & 1 == 1


def test_tensored_inversion_is_exact_on_a_known_assignment_matrix():
    k, rng = 3, np.random.default_rng(0)
    cal = ReadoutCalibration(rng.uniform(0, 0.1, k), rng.uniform(0, 0.15, k))
    p_true = rng.dirichlet(np.ones(2**k))
    # A = A_2 (x) A_1 (x) A_0: qubit 0 is the least significant index (little-endian)
    a = cal.assignment_matrices()
    p_meas = np.kron(np.kron(a[2], a[1]), a[0]) @ p_true
    bits = _outcomes(k)
    supports = [s for r in range(k + 1) for s in itertools.combinations(range(k), r)]
    signs = np.array([[(-1) ** bits[x, list(s)].sum() for s in supports] for x in range(2**k)])
    exact = p_true @ signs  # <Z_S> of the true distribution, every subset S
    mitigated = pauli_means(bits, supports, cal, probs=p_meas)
    np.testing.assert_allclose(mitigated, exact, atol=1e-12)
    raw = pauli_means(bits, supports, probs=p_meas)
    assert np.abs(raw - exact).max() > 0.01  # the readout error was there to remove


def test_single_qubit_formula():
    p01, p10, z_raw = 0.03, 0.08, 0.41
    cal = ReadoutCalibration(np.array([p01]), np.array([p10]))
    probs = np.array([(1 + z_raw) / 2, (1 - z_raw) / 2])  # P(read 0), P(read 1)
    out = pauli_means(_outcomes(1), [(0,)], cal, probs=probs)[0]
    assert out == pytest.approx((z_raw - (p10 - p01)) / (1 - p01 - p10), rel=1e-12)


def test_weights_are_z_times_the_inverse_assignment_matrix():
    cal = ReadoutCalibration(np.array([0.02, 0.1]), np.array([0.05, 0.0]))
    a = cal.assignment_matrices()
    np.testing.assert_allclose(a.sum(axis=1), 1.0)  # columns: distributions over readouts
    for q in range(2):
        np.testing.assert_allclose(cal.z_weights()[q], [1, -1] @ np.linalg.inv(a[q]))


def test_raw_means_are_parities_over_shots():
    bits = np.array([[[0, 0], [1, 0], [1, 1], [0, 1]], [[1, 1]] * 4], dtype=bool)  # (2, 4, 2)
    out = pauli_means(bits, [(), (0,), (1,), (0, 1)])
    np.testing.assert_allclose(out, [[1, 0, 0, 0], [1, -1, -1, 1]])


def test_calibration_from_bits_and_from_target():
    zeros = np.array([[0, 1], [0, 0], [0, 0], [0, 0]], dtype=bool)
    ones = np.array([[1, 1], [0, 1], [1, 1], [1, 1]], dtype=bool)
    cal = calibration_from_bits(zeros, ones)
    np.testing.assert_allclose(cal.p01, [0, 0.25])
    np.testing.assert_allclose(cal.p10, [0.25, 0])
    backend = FakeManilaV2()
    cal = calibration_from_target(backend.target, [3, 1])
    errors = [backend.target["measure"][(q,)].error for q in (3, 1)]
    np.testing.assert_allclose(cal.p01, errors)
    np.testing.assert_allclose(cal.p10, errors)


def test_measured_calibration_recovers_the_noise_models_readout_errors():
    backend, qubits, shots = FakeManilaV2(), (0, 2, 4), 40_000
    reduced = reduced_backend(backend, qubits)
    circuits = calibration_circuits(len(qubits), reduced.target)
    result = noisy_sampler(reduced, seed=5).run([(c, None, shots) for c in circuits]).result()
    cal = calibration_from_bits(*(r.data.meas.to_bool_array(order="little") for r in result))
    expected = calibration_from_target(backend.target, qubits).p01
    tolerance = 5 * np.sqrt(expected / shots) + 2e-3  # shot noise, plus the X gate's own error
    assert np.all(np.abs(cal.p01 - expected) < tolerance)
    assert np.all(np.abs(cal.p10 - expected) < tolerance)


def test_invalid_calibrations_are_refused():
    with pytest.raises(ValueError, match="singular"):
        ReadoutCalibration(np.array([0.6]), np.array([0.5]))
    with pytest.raises(ValueError, match="shapes"):
        ReadoutCalibration(np.array([0.1, 0.1]), np.array([0.1]))
    with pytest.raises(ValueError, match="calibration has"):
        pauli_means(np.zeros((4, 3), bool), [(0,)], ReadoutCalibration([0.1], [0.1]))
