"""Gate folding and extrapolators: exact on the models they assume, folded circuits equal the
original (qiskit Operator oracle), stay ISA and carry (2k+1)x the two-qubit gates."""

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.quantum_info import Operator
from qiskit.transpiler import generate_preset_pass_manager

from circuits.ansatz import hybridq_subgenerator
from transpile.zne import (
    count_two_qubit_gates,
    extrapolate,
    fold_two_qubit_gates,
    linear_weights,
    pooled_extrapolate,
    richardson_weights,
)

LINE = [[0, 1], [1, 2], [2, 3]]


def _isa(basis: list[str], seed: int = 0) -> tuple[QuantumCircuit, GenericBackendV2]:
    """A bound 4-qubit HybridQ sub-generator transpiled for a line backend with ``basis``."""
    backend = GenericBackendV2(4, basis_gates=basis, coupling_map=LINE, seed=seed)
    ansatz = hybridq_subgenerator(4, 2)
    values = np.random.default_rng(seed).uniform(0, 1, ansatz.circuit.num_parameters)
    bound = ansatz.circuit.assign_parameters(values)
    pm = generate_preset_pass_manager(1, backend=backend, seed_transpiler=seed)
    return pm.run(bound), backend


@pytest.mark.parametrize("method, degree", [("linear", 1), ("quadratic", 2)])
def test_polynomial_fits_are_exact_on_polynomials(method, degree):
    rng = np.random.default_rng(0)
    coef = rng.normal(size=(5, degree + 1))  # 5 independent curves, batched
    scales = np.array([1.0, 2.0, 3.0, 5.0])
    values = np.stack([np.polyval(c[::-1], scales) for c in coef])  # (5, 4)
    np.testing.assert_allclose(extrapolate(scales, values, method), coef[:, 0], atol=1e-12)


def test_richardson_is_exact_on_degree_s_minus_1_polynomials():
    scales = np.array([1.0, 1.5, 3.0, 5.0])
    coef = np.array([0.3, -0.2, 0.05, -0.01])  # cubic through 4 points
    values = np.polyval(coef[::-1], scales)
    assert extrapolate(scales, values, "richardson") == pytest.approx(0.3, abs=1e-12)


def test_richardson_weights_for_1_3_5():
    np.testing.assert_allclose(richardson_weights([1, 3, 5]), [15 / 8, -5 / 4, 3 / 8])
    assert richardson_weights([1, 2, 4, 7]).sum() == pytest.approx(1.0)


@pytest.mark.parametrize("amplitude", [0.8, -0.45])
def test_exponential_is_exact_on_exponentials(amplitude):
    scales = np.array([1.0, 3.0, 5.0])
    values = amplitude * np.exp(-0.13 * scales)
    assert extrapolate(scales, values, "exponential") == pytest.approx(amplitude, rel=1e-12)


def test_exponential_falls_back_to_linear_where_the_sign_changes():
    scales = np.array([1.0, 3.0, 5.0])
    values = np.array([[0.2, -0.1, -0.4], [0.5, 0.4, 0.3]])  # the first changes sign
    out = extrapolate(scales, values, "exponential")
    assert out[0] == pytest.approx(extrapolate(scales, values[0], "linear"))
    log_fit = np.polyfit(scales, np.log(values[1]), 1)  # independent log-linear fit
    assert out[1] == pytest.approx(np.exp(log_fit[1]), rel=1e-9)


@pytest.mark.parametrize(
    "scales, values, method",
    [
        ([1, 1, 3], [0.1, 0.2, 0.3], "linear"),
        ([1, 3], [0.1, 0.2, 0.3], "linear"),
        ([1, 3], [0.1, 0.2], "quadratic"),
        ([1, 3], [0.1, 0.2], "cubic"),
    ],
)
def test_extrapolate_rejects_bad_input(scales, values, method):
    with pytest.raises(ValueError):
        extrapolate(scales, np.array(values), method)


@pytest.mark.parametrize("basis", [["ecr", "rz", "sx", "x"], ["cz", "rz", "sx", "x"], None])
@pytest.mark.parametrize("scale", [1, 3, 5])
def test_folding_keeps_the_unitary_and_the_basis(basis, scale):
    isa, backend = _isa(basis)
    folded, realized = fold_two_qubit_gates(isa, scale, target=backend.target)
    assert realized == scale
    assert count_two_qubit_gates(folded) == scale * count_two_qubit_gates(isa)
    assert Operator(folded).equiv(Operator(isa))
    for inst in folded.data:
        qargs = tuple(folded.find_bit(q).index for q in inst.qubits)
        assert backend.target.instruction_supported(inst.operation.name, qargs)


@pytest.mark.parametrize("select", ["front", "back", "random"])
def test_fractional_scales_fold_some_gates(select):
    isa, backend = _isa(None)
    n = count_two_qubit_gates(isa)  # 6 CX of the two chains
    folded, realized = fold_two_qubit_gates(isa, 2.0, select=select, seed=3)
    assert realized == pytest.approx(1 + 2 * round(n / 2) / n)
    assert count_two_qubit_gates(folded) == n + 2 * round(n / 2)
    assert Operator(folded).equiv(Operator(isa))
    again, _ = fold_two_qubit_gates(isa, 2.0, select=select, seed=3)
    assert again == folded  # seeded


def test_front_and_back_folding_choose_the_ends():
    qc = QuantumCircuit(2)
    for _ in range(4):
        qc.cx(0, 1)
        qc.rz(0.1, 1)  # a marker between the CX gates
    front, _ = fold_two_qubit_gates(qc, 1.5, select="front")  # F = 1 fold
    back, _ = fold_two_qubit_gates(qc, 1.5, select="back")
    assert [i.operation.name for i in front.data[:4]] == ["cx", "cx", "cx", "rz"]
    assert [i.operation.name for i in back.data[-5:]] == ["rz", "cx", "cx", "cx", "rz"]


def test_folding_refuses_what_it_cannot_do():
    isa, backend = _isa(None)
    with pytest.raises(ValueError, match=">= 1"):
        fold_two_qubit_gates(isa, 0.5)
    with pytest.raises(ValueError, match="no two-qubit gates"):
        fold_two_qubit_gates(QuantumCircuit(2), 3)
    qc = QuantumCircuit(4)
    qc.cs(0, 1)  # its inverse csdg is not in the backend's basis
    with pytest.raises(ValueError, match="does not support"):
        fold_two_qubit_gates(qc, 3, target=backend.target)


def test_pooled_extrapolation_is_exact_where_the_sets_are_related_linearly():
    rng = np.random.default_rng(0)
    scales = np.array([1.0, 3.0, 5.0])
    u = rng.normal(size=(8, 4))  # (P, O): what distinguishes the parameter sets
    offset, gain = rng.normal(size=(4, 3)), rng.uniform(0.3, 1.0, (4, 3))  # (O, S) per scale
    values = offset + gain * u[..., None]  # (P, O, S): each scale a linear map of u
    np.testing.assert_allclose(
        pooled_extrapolate(scales, values), extrapolate(scales, values, "richardson"), atol=1e-12
    )
    two = values[:2]  # two sets: the fitted line passes through both
    np.testing.assert_array_equal(
        pooled_extrapolate(scales, two), extrapolate(scales, two, "richardson")
    )


def test_pooled_extrapolation_shares_the_extrapolations_noise():
    rng = np.random.default_rng(1)
    scales = np.array([1.0, 3.0, 5.0])
    truth = rng.uniform(-0.5, 0.5, (64, 20))  # (P, O) zero-noise values
    decay = np.exp(-0.2 * scales)  # every observable decays alike: Richardson is nearly exact
    clean = truth[..., None] * decay + 0.05 * (1 - decay)  # (P, O, S), relaxation's offset
    noisy = clean + rng.normal(0, [0.01, 0.02, 0.02], clean.shape)  # shots 4:1:1 by noise
    per_set = np.abs(extrapolate(scales, noisy, "richardson") - truth).mean()
    pooled = np.abs(pooled_extrapolate(scales, noisy) - truth).mean()
    assert pooled < 0.5 * per_set  # Richardson's 2.3x amplification shared among 64 sets
    exact = extrapolate(scales, clean, "richardson")
    assert np.abs(pooled_extrapolate(scales, clean) - exact).max() < 1e-12


def test_pooled_extrapolation_takes_the_shared_shot_noise_out_of_the_slope():
    # sets that differ little against their shot noise: the plain slope credits y's own
    # noise (in t with Richardson's weight 1.875) to the signal and passes it on; with the
    # noise variance it is taken out, leaving the best linear predictor from y
    rng = np.random.default_rng(2)
    scales = np.array([1.0, 3.0, 5.0])
    truth = rng.normal(0.1, 0.02, (64, 200))  # (P, O): a spread like the shot noise's
    decay = np.exp(-0.15 * scales)
    sd = np.array([0.015, 0.03, 0.03])  # shots 5:1:1
    noisy = truth[..., None] * decay + rng.normal(0, sd, (64, 200, 3))
    noise_var = np.broadcast_to(sd**2, (200, 3))
    plain = np.abs(pooled_extrapolate(scales, noisy) - truth).mean()
    corrected = np.abs(pooled_extrapolate(scales, noisy, noise_var=noise_var) - truth).mean()
    # the oracle: the least-squares line from y to the truth, fitted on the truth itself
    y = noisy[..., 0] - noisy[..., 0].mean(0)
    k = (y * (truth - truth.mean(0))).mean(0) / (y**2).mean(0)
    oracle = np.abs(truth.mean(0) + k * y - truth).mean()
    assert corrected < 0.75 * plain
    assert corrected < 1.2 * oracle  # the oracle fits each slope on the truth itself
    np.testing.assert_array_equal(
        pooled_extrapolate(scales, noisy, noise_var=np.zeros((200, 3))),
        pooled_extrapolate(scales, noisy),
    )
    # the exponential fit is not linear in the values: no correction to make
    np.testing.assert_array_equal(
        pooled_extrapolate(scales, noisy, "exponential", noise_var=noise_var),
        pooled_extrapolate(scales, noisy, "exponential"),
    )


def test_linear_weights_reproduce_the_linear_extrapolators():
    scales = np.array([1.0, 2.0, 3.5, 5.0])
    y = np.random.default_rng(3).normal(size=(5, 4))
    for method in ("linear", "quadratic", "richardson"):
        np.testing.assert_allclose(
            y @ linear_weights(scales, method), extrapolate(scales, y, method)
        )
    assert linear_weights(scales, "exponential") is None
