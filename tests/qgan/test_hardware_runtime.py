"""The ibm_* path of ``python -m qgan.hardware_infer`` with a stand-in IBM Quantum (no network).

``QiskitRuntimeService`` is replaced by a stand-in whose device is FakeJakartaV2 and whose
jobs live in a shared "cloud"; the Runtime estimator by one that evaluates every pub exactly
with qiskit's ``StatevectorEstimator`` (an oracle independent of our fast simulator) and can
be told to leave jobs queued or to fail them. Each job checks, when it is first waited on, that
its id is already in the ledger.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import qiskit_ibm_runtime
import torch
from qiskit.primitives import StatevectorEstimator
from qiskit.providers.exceptions import QiskitBackendNotFoundError
from qiskit_ibm_runtime.exceptions import RuntimeJobFailureError, RuntimeJobTimeoutError
from qiskit_ibm_runtime.fake_provider import FakeJakartaV2

import qgan.hardware.runtime as hw_runtime
from qgan.checkpoint import config_to_dict, save_checkpoint
from qgan.hardware.plan import saved_layout
from qgan.hardware.runtime import pub_values
from qgan.hardware_infer import main
from qgan.models import ModelConfig, QuantumConfig, build_generator
from transpile.mitigation_config import MitigationConfig
from transpile.passes import transpile_generator
from transpile.zne import fold_two_qubit_gates, pooled_extrapolate


def tiny_checkpoint(folder: Path) -> str:
    """last.pt of a 2 x 3-qubit, 2-layer HybridQ generator (no run folder: no real metrics)."""
    cfg = ModelConfig(latent_dim=6, quantum=QuantumConfig(n_sub=2, n_qubits=3, n_layers=2, seed=2))
    gen = build_generator(cfg)
    gen.norm.running_var.copy_(torch.full((6,), 0.02))
    ckpt = {
        "config": {"model": "hybridq"},
        "model_config": config_to_dict(cfg),
        "generator": gen.state_dict(),
        "noise": {"bound": 1.5, "ratio0": None},
    }
    return str(save_checkpoint(ckpt, folder / "last.pt"))


class Cloud:
    """IBM Quantum as the tests see it: the jobs, how they behave, what was submitted."""

    def __init__(self, ledger: Path):
        self.ledger, self.jobs, self.behaviour = ledger, {}, "done"
        self.submitted, self.options = 0, []
        self.device = FakeJakartaV2()


class StandInJob:
    def __init__(self, cloud: Cloud, job_id: str, result):
        self.cloud, self.id, self._result = cloud, job_id, result

    def job_id(self) -> str:
        return self.id

    def status(self) -> str:
        return "QUEUED" if self.cloud.behaviour == "queued" else "DONE"

    def result(self, timeout=None):
        assert self.id in self.cloud.ledger.read_text(), "waited on a job before recording it"
        if self.cloud.behaviour == "queued":
            raise RuntimeJobTimeoutError(f"Timed out waiting for job to complete after {timeout}")
        if self.cloud.behaviour == "fail":
            raise RuntimeJobFailureError("Unable to retrieve job result. Error 1517: calibration")
        return self._result


class StandInEstimator:
    def __init__(self, cloud: Cloud, mode, cfg: MitigationConfig):
        assert mode is cloud.device  # job mode on the service's backend
        self.cloud = cloud
        cloud.options.append(cfg)

    def run(self, pubs):
        print(f"SUBMITTED job-{self.cloud.submitted + 1}")  # so the tests see the order
        self.cloud.submitted += 1
        job = StandInJob(
            self.cloud, f"job-{self.cloud.submitted}", StatevectorEstimator().run(pubs).result()
        )
        self.cloud.jobs[job.id] = job
        return job


class StandInService:
    def __init__(self, cloud: Cloud, **kwargs):
        self.cloud = cloud

    def backend(self, name: str):
        if name != "ibm_jakarta":
            raise QiskitBackendNotFoundError("No backend matches the criteria.")
        return self.cloud.device

    def job(self, job_id: str):
        return self.cloud.jobs[job_id]


@pytest.fixture
def cloud(tmp_path, monkeypatch):
    cloud = Cloud(tmp_path / "hw" / "jobs.jsonl")
    monkeypatch.setattr(
        qiskit_ibm_runtime, "QiskitRuntimeService", lambda **kwargs: StandInService(cloud, **kwargs)
    )
    monkeypatch.setattr(
        hw_runtime, "runtime_estimator", lambda mode, cfg: StandInEstimator(cloud, mode, cfg)
    )
    return cloud


def _argv(tmp_path, *extra) -> list[str]:
    ckpt = tiny_checkpoint(tmp_path)
    out = str(tmp_path / "hw")
    return [
        "--backend",
        "ibm_jakarta",
        "--checkpoint",
        ckpt,
        "--n",
        "6",
        "--chunk",
        "4",
        "--no-readout",
        "--timeout",
        "5",
        "--out",
        out,
        *extra,
    ]


def _one_line_exit(argv: list[str]) -> str:
    """The message ``main(argv)`` exits with, checked to be one line."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    text = str(exit_.value.code)
    assert "\n" not in text
    return text


def _ledger(cloud: Cloud) -> list[dict]:
    return [json.loads(line) for line in cloud.ledger.read_text().splitlines()]


def test_job_ids_are_recorded_before_waiting_and_a_rerun_collects_them(cloud, tmp_path):
    cloud.behaviour = "queued"
    argv = _argv(tmp_path)
    text = _one_line_exit(argv)
    assert "job-1 on fake_jakarta is still QUEUED after 5 s" in text
    assert "rerun the same command" in text and "without paying again" in text
    assert cloud.submitted == 2  # both chunks submitted before waiting on the first
    assert [(e["event"], e["job_id"]) for e in _ledger(cloud)] == [
        ("submitted", "job-1"),
        ("submitted", "job-2"),
    ]
    cloud.behaviour = "done"
    main(argv)  # the same command again: collects job-1 and job-2, submits nothing
    assert cloud.submitted == 2
    out = tmp_path / "hw"
    report = json.loads((out / "report.json").read_text())
    assert report["job_ids"] == ["job-1", "job-2"]
    assert report["runtime_options"]["resilience_level"] == 0
    with np.load(out / "samples.npz") as z:  # exact Statevector values = the fast simulator's
        np.testing.assert_allclose(z["z_mitigated"], z["z_exact"], atol=1e-6)
        np.testing.assert_array_equal(z["z_raw"], z["z_mitigated"])  # mode none: raw
    main(argv)  # a third time: everything from the chunk files
    assert cloud.submitted == 2


def test_a_failed_job_is_a_clear_error_and_a_rerun_submits_only_its_chunk(cloud, tmp_path):
    cloud.behaviour = "fail"
    argv = _argv(tmp_path)
    text = _one_line_exit(argv)
    assert "job-1 on fake_jakarta: Unable to retrieve job result. Error 1517" in text
    assert "rerun to submit that chunk again" in text
    assert [e["event"] for e in _ledger(cloud)] == ["submitted", "submitted", "failed"]
    cloud.behaviour = "done"
    main(argv)
    assert cloud.submitted == 3  # chunk 0 again; chunk 1's job-2 collected, not resubmitted
    report = json.loads((tmp_path / "hw" / "report.json").read_text())
    assert report["job_ids"] == ["job-3", "job-2"]


def test_mitigation_maps_to_runtime_options_and_trex_has_no_raw_values(cloud, tmp_path):
    main(_argv(tmp_path, "--readout", "--shots", "2048", "--seed", "5"))
    assert {(c.label, c.shots, c.seed) for c in cloud.options} == {("readout", 2048, 5)}
    out = tmp_path / "hw"
    report = json.loads((out / "report.json").read_text())
    assert report["runtime_options"]["resilience"]["measure_mitigation"] is True
    assert "raw <Z> not available" in " ".join(report["notes"])
    with np.load(out / "samples.npz") as z:
        assert np.isnan(z["z_raw"]).all() and np.isfinite(z["z_mitigated"]).all()


def test_the_cost_is_printed_before_anything_is_submitted(cloud, tmp_path, capsys):
    main(_argv(tmp_path, "--shots", "1000", "--zne"))
    printed = capsys.readouterr().out
    cost = next(line for line in printed.splitlines() if line.startswith("cost: "))
    assert printed.index("cost: ") < printed.index("SUBMITTED job-1")
    assert (
        "2 job(s) of 1 circuit(s) x 6 parameter sets x 3 noise factor(s) = 18 circuit "
        "executions, 18,000 shots"
    ) in cost
    report = json.loads((tmp_path / "hw" / "report.json").read_text())
    # oracle: the wide circuit's own schedule on the device, folded by hand, and the rep_delay
    target, isa = cloud.device.target, _isa_of(report)
    folded = [isa] + [fold_two_qubit_gates(isa, c, target=target)[0] for c in (3, 5)]
    measure = target["measure"][(0,)].duration
    seconds = sum(c.estimate_duration(target, unit="s") + measure + 250e-6 for c in folded)
    assert report["cost"]["qpu_seconds"] == pytest.approx(seconds * 6 * 1000, rel=1e-6)
    assert report["cost"]["shots"] == 18_000


def _isa_of(report: dict):
    """The wide ISA circuit the run transpiled: its saved lines, the same seed."""
    device = FakeJakartaV2()
    layout = saved_layout(device, [tuple(x) for x in report["layout"]["lines"]], 2)
    circuits = transpile_generator(device, n_sub=2, n_qubits=3, n_layers=2, layout=layout, seed=0)
    return circuits.circuits[0]


def test_an_unknown_ibm_device_is_one_line(cloud, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(_argv(tmp_path)[:1] + ["ibm_nowhere"] + _argv(tmp_path)[2:])
    text = str(exit_.value.code)
    assert "ibm_nowhere" in text and "no such device" in text and "\n" not in text
    assert cloud.submitted == 0


class _Data:
    def __init__(self, **arrays):
        self.__dict__.update(arrays)


class _Pub:
    def __init__(self, **arrays):
        self.data = _Data(**arrays)


def test_pub_values_take_the_unscaled_values_as_raw_under_zne():
    evs = np.array([[0.5, -0.2], [0.3, 0.1]])  # (P, O)
    factors = np.array(
        [[[0.4, 0.3, 0.2], [-0.1, -0.05, 0.0]], [[0.2, 0.1, 0.05], [0.1, 0.05, 0.02]]]
    )  # (P, O, S): scales 1, 3, 5
    zne = MitigationConfig(readout=False, zne=True, pooled=False)
    raw, mitigated = pub_values([_Pub(evs=evs, evs_noise_factors=factors)], zne)
    np.testing.assert_array_equal(raw, factors[..., 0])
    np.testing.assert_array_equal(mitigated, evs)  # Runtime's own extrapolation
    pooled = dataclasses.replace(zne, pooled=True)
    _, mitigated = pub_values([_Pub(evs=evs, evs_noise_factors=factors)], pooled)
    np.testing.assert_allclose(mitigated, pooled_extrapolate((1, 3, 5), factors, "richardson"))
    raw, _ = pub_values([_Pub(evs=evs), _Pub(evs=evs)], MitigationConfig(zne=True))
    assert raw.shape == (2, 4) and np.isnan(raw).all()  # TREX-corrected: no raw values


def test_pooled_pub_values_take_runtimes_shot_noise_out_of_the_slope():
    rng = np.random.default_rng(0)
    factors = rng.uniform(-0.5, 0.5, (6, 2, 3))  # (P, O, S): six sets, scales 1, 3, 5
    stds = rng.uniform(0.01, 0.05, factors.shape)
    cfg = MitigationConfig(readout=False, zne=True, pooled=True)
    evs = factors[..., 0]
    shot = _Pub(evs=evs, evs_noise_factors=factors, ensemble_stds_noise_factors=stds)
    drift = _Pub(evs=evs, evs_noise_factors=factors, stds_noise_factors=2 * stds)
    _, mitigated = pub_values([shot], cfg)
    want = pooled_extrapolate((1, 3, 5), factors, noise_var=(stds**2).mean(axis=0))
    np.testing.assert_allclose(mitigated, want)
    assert not np.allclose(mitigated, pooled_extrapolate((1, 3, 5), factors))
    _, mitigated = pub_values([drift], cfg)  # without the ensemble stds, Runtime's own stds
    want = pooled_extrapolate((1, 3, 5), factors, noise_var=(4 * stds**2).mean(axis=0))
    np.testing.assert_allclose(mitigated, want)


@pytest.mark.hardware
def test_a_real_ibm_device(tmp_path):
    """Submits one small job (2 images, 2 x 3 qubits, 1024 shots) to $QGAN_IBM_BACKEND."""
    import os

    backend = os.environ.get("QGAN_IBM_BACKEND", "")
    if not backend.startswith("ibm_"):
        pytest.skip("set QGAN_IBM_BACKEND=ibm_<device> (and an IBM Quantum account) to run")
    argv = [
        "--backend",
        backend,
        "--checkpoint",
        tiny_checkpoint(tmp_path),
        "--n",
        "2",
        "--shots",
        "1024",
        "--timeout",
        "3600",
        "--out",
        str(tmp_path / "hw"),
    ]
    main(argv)
    report = json.loads((tmp_path / "hw" / "report.json").read_text())
    assert len(report["job_ids"]) == 1
    assert report["agreement"]["mean_abs_dz_mitigated"] < 0.3  # 3-qubit lines, 4 CNOTs each
