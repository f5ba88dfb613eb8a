"""Our mitigation choice as IBM Runtime estimator options, built offline; the estimator is the
client-side class that replaces the deprecated EstimatorV2, and it honours the options in local
mode on a fake backend."""

import warnings

import numpy as np
import pytest
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime.executor_estimator import Estimator
from qiskit_ibm_runtime.fake_provider import FakeManilaV2
from qiskit_ibm_runtime.options_models import EstimatorOptions

from circuits.ansatz import hybridq_subgenerator
from transpile.mitigation_config import TECHNIQUES, MitigationConfig
from transpile.runtime_mitigation import (
    runtime_estimator,
    runtime_extrapolator,
    runtime_options,
    runtime_options_dict,
    runtime_pub,
)


@pytest.mark.parametrize(
    "level, trex, zne",
    [(0, False, False), (1, True, False), (2, False, True), (2, True, True)],
)
def test_switches_map_to_resilience_options(level, trex, zne):
    options = runtime_options(MitigationConfig(readout=trex, zne=zne, shots=2048, seed=9))
    assert isinstance(options, EstimatorOptions)
    assert options.resilience_level == level
    assert options.resilience.measure_mitigation is trex
    assert options.twirling.enable_measure is trex  # TREX is twirled readout
    assert options.resilience.zne_mitigation is zne
    assert list(options.resilience.zne.noise_factors) == [1.0, 3.0, 5.0]
    assert options.resilience.zne.amplifier == "gate_folding"
    assert options.twirling.enable_gates is False
    assert options.dynamical_decoupling.enable is False
    assert options.default_shots == 2048
    assert options.simulator.seed_simulator == 9


def test_zne_dd_and_twirling_options_carry_over():
    cfg = MitigationConfig(
        zne=True,
        scale_factors=(1, 2, 3, 4),
        scale_shots=(1, 1, 1, 1),
        extrapolator="richardson",
        fold="back",
        dd=True,
        dd_sequence="XY4",
        twirling=True,
        twirls=16,
    )
    options = runtime_options(cfg)
    assert list(options.resilience.zne.noise_factors) == [1.0, 2.0, 3.0, 4.0]
    assert options.resilience.zne.extrapolator == "polynomial_degree_3"
    assert options.resilience.zne.amplifier == "gate_folding_back"
    assert options.dynamical_decoupling.enable is True
    assert options.dynamical_decoupling.sequence_type == "XY4"
    assert options.twirling.enable_gates is True
    assert options.twirling.num_randomizations == 16


@pytest.mark.parametrize(
    "extrapolator, scales, name",
    [
        ("linear", (1, 3, 5), "linear"),
        ("quadratic", (1, 3, 5), "polynomial_degree_2"),
        ("richardson", (1, 3), "linear"),
        ("richardson", (1, 3, 5), "polynomial_degree_2"),
        ("exponential", (1, 3, 5), ("exponential", "linear")),
    ],
)
def test_extrapolator_names(extrapolator, scales, name):
    cfg = MitigationConfig(
        extrapolator=extrapolator, scale_factors=scales, scale_shots=(1,) * len(scales)
    )
    assert runtime_extrapolator(cfg) == name
    assert runtime_options_dict(cfg)["resilience"]["zne"]["extrapolator"] == name


def test_each_switch_changes_only_its_own_options():
    base = runtime_options_dict(MitigationConfig(readout=False))
    for name in TECHNIQUES:
        on = runtime_options_dict(MitigationConfig(**{"readout": False, name: True}))
        changed = {k for k in set(base) | set(on) if base.get(k) != on.get(k)}
        assert changed <= {"resilience", "twirling", "dynamical_decoupling", "resilience_level"}
        assert changed, name
    assert base["resilience_level"] == 0 and not base["resilience"]["measure_mitigation"]
    assert not base["twirling"]["enable_gates"] and not base["dynamical_decoupling"]["enable"]


def test_the_estimator_is_the_non_deprecated_client_side_one():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the old EstimatorV2 would warn
        estimator = runtime_estimator(FakeManilaV2(), MitigationConfig(zne=True))
    assert isinstance(estimator, Estimator)
    assert estimator.options.resilience.zne_mitigation is True


def test_local_mode_honours_zne_on_a_fake_backend():
    backend = FakeManilaV2()
    ansatz = hybridq_subgenerator(2, 1)
    pm = generate_preset_pass_manager(1, backend=backend, initial_layout=[0, 1], seed_transpiler=0)
    isa = pm.run(ansatz.circuit)
    observables = [op.apply_layout(isa.layout) for op in ansatz.observables]
    values = np.random.default_rng(0).uniform(0, 1, (2, isa.num_parameters))
    estimator = runtime_estimator(backend, MitigationConfig(readout=False, zne=True, shots=256))
    result = estimator.run([runtime_pub(isa, observables, values)]).result()[0]
    assert result.data.evs.shape == (2, 2)  # (P, O)
    assert result.data.evs_noise_factors.shape == (2, 2, 3)  # one value per noise factor
    with pytest.raises(ValueError, match="parameter_values must be"):
        runtime_pub(isa, observables, values[0])
