"""mitigated_expectations on small fake backends: each mitigation lowers the error against the
exact statevector, Pauli observables of any basis and across qubit groups are right on an
ideal backend, and bad input fails with one clear line."""

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from circuits.ansatz import hybridq_subgenerator
from transpile.mitigation import MitigationConfig, mitigated_expectations, run_mitigation


@pytest.fixture(scope="module")
def manila():
    return FakeManilaV2()


def _problem(backend, n_layers: int, high: float, n_sets: int = 4):
    """A 3-qubit sub-generator on qubits 1-2-3: ISA circuit, observables, values, exact <Z_i>."""
    ansatz = hybridq_subgenerator(3, n_layers)
    pm = generate_preset_pass_manager(
        1, backend=backend, initial_layout=[1, 2, 3], seed_transpiler=0
    )
    isa = pm.run(ansatz.circuit)
    observables = [op.apply_layout(isa.layout) for op in ansatz.observables]
    values = np.random.default_rng(1).uniform(0, high, (n_sets, isa.num_parameters))
    return isa, observables, values, _exact(ansatz, isa.parameters, values)


def _exact(ansatz, parameters, values) -> np.ndarray:
    """(P, O) exact <Z_i> of the logical circuit from the statevector."""
    states = [
        Statevector(ansatz.circuit.assign_parameters(dict(zip(parameters, v, strict=True))))
        for v in values
    ]
    return np.array([[s.expectation_value(op).real for op in ansatz.observables] for s in states])


SETTINGS = {
    "none": (False, False),
    "readout": (True, False),
    "zne": (False, True),
    "all": (True, True),
}


def _errors(result, exact, extrapolator="richardson", pooled=False):
    return {
        name: np.abs(
            result.estimate(readout=r, zne=z, extrapolator=extrapolator, pooled=pooled) - exact
        ).mean()
        for name, (r, z) in SETTINGS.items()
    }


def test_readout_mitigation_lowers_the_error(manila):
    # small angles keep |<Z>| large, where readout errors bias it most
    isa, observables, values, exact = _problem(manila, n_layers=3, high=0.4)
    cfg = MitigationConfig(zne=True, shots=16384, scale_shots=(1, 1, 1))
    errors = _errors(run_mitigation(isa, observables, values, manila, cfg), exact)
    assert errors["readout"] < 0.5 * errors["none"]
    assert errors["all"] < 0.5 * errors["none"]


def test_zne_lowers_the_error(manila):
    # ten CNOT layers: gate and idle noise dominate the bias
    isa, observables, values, exact = _problem(manila, n_layers=10, high=0.4)
    result = run_mitigation(
        isa, observables, values, manila, MitigationConfig(zne=True, shots=16384)
    )
    errors = _errors(result, exact)
    assert errors["zne"] < 0.5 * errors["none"]
    assert errors["all"] < 0.5 * errors["none"]
    np.testing.assert_allclose(result.scales, [1, 3, 5])
    assert result.raw.shape == result.readout.shape == (3, len(values), 3)
    assert result.shots.tolist() == [35109, 7022, 7022]  # 3 x 16384 split 5:1:1
    pooled = _errors(result, exact, pooled=True)
    assert pooled["all"] < 0.5 * errors["none"]


def test_the_entry_point_returns_the_configured_mode(manila):
    isa, observables, values, _ = _problem(manila, n_layers=1, high=1.0, n_sets=2)
    cfg = MitigationConfig(shots=512, seed=3)
    out = mitigated_expectations(isa, observables, values, manila, cfg)
    again = run_mitigation(isa, observables, values, manila, cfg)
    np.testing.assert_array_equal(out, again.estimate())  # seeded: the same shots
    assert out.shape == (2, 3) and np.all(np.abs(out) <= 1)
    with pytest.raises(ValueError, match="needs several noise scales"):
        again.estimate(zne=True)


@pytest.mark.filterwarnings("ignore:.*no QubitProperties")  # an ideal backend has none
def test_any_pauli_basis_and_products_across_groups_on_an_ideal_backend():
    backend = GenericBackendV2(5, coupling_map=[[0, 1], [1, 2], [3, 4]], noise_info=False, seed=0)
    qc = QuantumCircuit(5)
    for q, angle in enumerate([0.3, 1.1, -0.7, 0.5, 2.0]):
        qc.ry(angle, q)
        qc.rz(0.4 * q, q)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.cx(4, 3)
    isa = generate_preset_pass_manager(1, backend=backend, initial_layout=range(5)).run(qc)
    observables = [
        SparsePauliOp.from_sparse_list([("XZ", [0, 1], 0.7), ("Y", [2], -0.4)], 5),
        SparsePauliOp.from_sparse_list([("ZX", [1, 4], 1.0), ("", [], 0.25)], 5),  # 2 groups
        SparsePauliOp.from_sparse_list([("YY", [3, 4], 1.0), ("XX", [3, 4], 0.5)], 5),
    ]
    cfg = MitigationConfig(shots=40_000, idle_noise=False)  # no durations
    result = run_mitigation(
        isa, [o.apply_layout(isa.layout) for o in observables], [[]] * 1, backend, cfg
    )
    exact = [Statevector(qc).expectation_value(o).real for o in observables]
    assert result.groups == ((0, 1, 2), (3, 4))
    np.testing.assert_allclose(result.estimate(readout=False)[0], exact, atol=0.03)
    np.testing.assert_allclose(result.calibrations[0].p01, 0)  # no readout error to find
    np.testing.assert_array_equal(result.estimate(), result.estimate(readout=False))


def test_twirling_and_dd_run_and_stay_close(manila):
    isa, observables, values, exact = _problem(manila, n_layers=2, high=1.0, n_sets=2)
    cfg = MitigationConfig(
        shots=8192, twirling=True, twirls=2, dd=True, dd_sequence="XY4", calibration="target"
    )
    out = mitigated_expectations(isa, observables, values, manila, cfg)
    assert np.abs(out - exact).mean() < 0.05


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"scale_factors": (1.0,), "scale_shots": (1.0,)}, "scale_factors"),
        ({"scale_factors": (0.5, 1.0), "scale_shots": (1, 1)}, "scale_factors"),
        ({"scale_shots": (1, 1)}, "scale_shots must be 3"),
        ({"dd_sequence": "XY8"}, "dd_sequence"),
        ({"extrapolator": "cubic"}, "extrapolator"),
        ({"shots": 0}, "shots"),
        ({"method": "mps"}, "method must be"),
    ],
)
def test_config_is_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MitigationConfig(**kwargs)
    cfg = MitigationConfig(zne=True, scale_factors=(5, 1, 3), scale_shots=(1, 3, 2), shots=100)
    assert cfg.scale_factors == (1.0, 3.0, 5.0) and cfg.scale_shots == (3.0, 2.0, 1.0)
    assert cfg.shots_per_scale() == (150, 100, 50)  # 3 x 100 shots, split 3:2:1
    assert MitigationConfig(shots=100).shots_per_scale() == (100,)  # no ZNE: scale 1 alone


def test_switches_are_independent_and_name_the_run():
    assert MitigationConfig().techniques == ("readout",)
    cfg = MitigationConfig(readout=False, zne=True, dd=True, twirling=True)
    assert cfg.techniques == ("zne", "twirling", "dd") and cfg.label == "zne+twirling+dd"
    assert MitigationConfig(readout=False).label == "none"


def test_bad_input_fails_with_one_line(manila):
    isa, observables, values, _ = _problem(manila, n_layers=1, high=1.0, n_sets=1)
    cases = [
        (isa, [SparsePauliOp("ZII")], values, "apply_layout"),
        (isa, observables, values[:, :-1], "parameter_values must be"),
        (isa.measure_all(inplace=False), observables, values, "without measurements"),
    ]
    for circuit, ops, vals, match in cases:
        with pytest.raises(ValueError, match=match) as err:
            mitigated_expectations(circuit, ops, vals, manila)
        assert "\n" not in str(err.value)


def test_noise_variance_matches_the_spread_over_repeated_shots(manila):
    # the same sets measured under 24 shot seeds: the variance of each estimate over the
    # seeds is the shot-noise variance that noise_variance() predicts from one run
    isa, observables, values, _ = _problem(manila, n_layers=2, high=1.5, n_sets=6)
    runs = [
        run_mitigation(
            isa, observables, values, manila, MitigationConfig(zne=True, shots=2048, seed=s)
        )
        for s in range(24)
    ]
    for readout in (False, True):
        data = np.stack([r.readout if readout else r.raw for r in runs])  # (R, S, P, O)
        seen = data.var(axis=0, ddof=1).mean(axis=1).T  # (O, S)
        predicted = np.mean([r.noise_variance(readout=readout) for r in runs], axis=0)
        # 24 seeds x 6 sets: the seen variance is known to ~12% per entry
        np.testing.assert_allclose(seen.mean(), predicted.mean(), rtol=0.12)
        np.testing.assert_allclose(seen, predicted, rtol=0.45)
    raw, mit = runs[0].noise_variance(readout=False), runs[0].noise_variance(readout=True)
    assert np.all(mit > raw)  # readout inversion amplifies shot noise
    assert raw.shape == (3, 3) and np.all(raw[:, 1:] > raw[:, :1])  # fewer shots at 3 and 5
