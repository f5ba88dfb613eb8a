"""``python -m qgan.hardware_infer`` end to end on small fake backends (seconds each).

The checkpoint is a tiny HybridQ generator (2 sub-generators x 3 qubits x 2 layers) with
non-trivial latent statistics, saved beside a synthetic run's config.json and split.json, so
the real-image metrics have real test images. Oracles: the exact simulator's <Z> (on a
noiseless backend the measured <Z> must agree within shot noise), the model's own forward
(simulator images), FID recomputed from the run's split.json, and an uninterrupted run (a
resumed one must equal it). A fixed average-pooling map stands in for Inception (the real one
is tested in test_inception.py and test_evaluate.py); runs that load their own networks get
none.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.transpiler import CouplingMap
from torch import nn

import qgan.evaluation.networks as networks
import qgan.hardware.run as hw_run
from qgan.checkpoint import config_to_dict, save_checkpoint
from qgan.data import (
    DataConfig,
    class_subset,
    load_dataset,
    load_split,
    save_split,
    select,
    split_by_lesion,
)
from qgan.evaluation.features import FeatureNet
from qgan.evaluation.metrics import fid_from_features
from qgan.evaluation.pipeline import DermEntry, Networks
from qgan.evaluation.runs import sample_of
from qgan.evaluation.scoring import FLOOR
from qgan.hardware.config import HardwareConfig
from qgan.hardware.local import LocalExecutor
from qgan.hardware.run import hardware_infer
from qgan.hardware_infer import main
from qgan.models import ModelConfig, QuantumConfig, build_generator
from transpile.mitigation_config import MitigationConfig

pytestmark = pytest.mark.filterwarnings("ignore:.*has no QubitProperties:UserWarning")
NONE = MitigationConfig(readout=False)  # every switch off
RUN_CONFIG = {
    "model": "hybridq",
    "dataset": "synthetic",
    "cls": "MEL",
    "classes": "MEL,NV,BCC",
    "limit": 20,
    "image_size": 64,
    "seed": 0,
}


def tiny_checkpoint(folder, model: str = "hybridq") -> str:
    """A HybridQ run folder: last.pt of a 2 x 3-qubit, 2-layer generator, config and split."""
    cfg = ModelConfig(latent_dim=6, quantum=QuantumConfig(n_sub=2, n_qubits=3, n_layers=2, seed=1))
    gen = build_generator(cfg)
    gen.norm.running_mean.copy_(torch.linspace(0.2, 0.8, 6))  # eval-mode statistics that matter
    gen.norm.running_var.copy_(torch.linspace(0.01, 0.05, 6))
    ckpt = {
        "config": RUN_CONFIG | {"model": model},
        "model_config": config_to_dict(cfg),
        "generator": gen.state_dict(),
        "noise": {"bound": 1.5, "ratio0": None},
        "position": {"step": 3},
    }
    save_checkpoint(ckpt, folder / "last.pt")
    (folder / "config.json").write_text(json.dumps(RUN_CONFIG))
    data = load_dataset(DataConfig(dataset="synthetic", limit=20))
    save_split(split_by_lesion(data, 0.2, 0), folder)
    return str(folder / "last.pt")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return tiny_checkpoint(tmp_path_factory.mktemp("run"))


@pytest.fixture(autouse=True)
def _no_inception(monkeypatch):
    """hardware_infer without injected networks: no Inception (seconds of CPU per image set)."""
    skipped = (None, "Inception FID/KID skipped in these tests")
    monkeypatch.setattr(networks, "inception_network", lambda *args, **kwargs: skipped)


def _tiny_net() -> FeatureNet:
    """Inception's stand-in: a fixed 16x16 average pooling, 48 features, no weights."""
    module = nn.Sequential(nn.AvgPool2d(16), nn.Flatten()).eval()
    return FeatureNet("inception", "avgpool16", module, unit_range=False, dim=48)


def _networks() -> Networks:
    derm = {("synthetic", 64): DermEntry(None, "derm metrics skipped: none in tests")}
    return Networks(_tiny_net(), "tiny test features", derm)


def _npz(folder) -> dict:
    with np.load(folder / "samples.npz") as z:
        return {k: z[k] for k in z.files}


def _ideal(name="fake_ideal"):
    """A noiseless heavy-hex backend (no error data): measured <Z> differ by shot noise only."""
    coupling = CouplingMap.from_heavy_hex(3)
    backend = GenericBackendV2(coupling.size(), coupling_map=coupling, seed=0, noise_info=False)
    return lambda backend_name, instance=None: backend


def test_end_to_end_on_a_noisy_fake_backend(checkpoint, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # real-statistics cache
    cfg = HardwareConfig(
        backend="fake_jakarta",
        checkpoint=checkpoint,
        n=6,
        shots=1024,
        chunk=4,
        out=str(tmp_path / "hw"),
    )
    out = hardware_infer(cfg, networks=_networks())
    data = _npz(out)
    assert data["images"].shape == data["sim_images"].shape == (6, 64, 64, 3)
    assert data["images"].dtype == np.uint8
    np.testing.assert_array_equal(np.asarray(Image.open(out / "img_00004.png")), data["images"][4])
    assert (out / "grid.png").is_file() and (out / "grid_simulator.png").is_file()
    assert data["noise"].shape == (6, 6) and 0 <= data["noise"].min() and data["noise"].max() < 1.5
    for key in ("z_raw", "z_mitigated", "z_exact"):
        assert data[key].shape == (6, 6) and np.all(np.abs(data[key]) <= 1)
    report = json.loads((out / "report.json").read_text())
    err_raw = np.abs(data["z_raw"] - data["z_exact"]).mean()
    err_mit = np.abs(data["z_mitigated"] - data["z_exact"]).mean()
    assert report["agreement"]["mean_abs_dz_raw"] == pytest.approx(err_raw)
    assert report["agreement"]["mean_abs_dz_mitigated"] == pytest.approx(err_mit)
    assert err_mit < err_raw  # readout mitigation helps on a noisy device
    assert report["layout"]["lines"] and report["circuits"][0]["swaps"] == 0
    assert report["circuits"][0]["two_qubit_gates"] == 8  # 2 sub-generators x 2 layers x 2 CX
    assert [j["rows"] for j in report["jobs"]] == [[0, 4], [4, 6]]  # chunks of 4
    # real-image metrics: FID recomputed from the run's own split.json (MEL test images)
    split = load_split(Path(checkpoint).parent)
    data_set = load_dataset(DataConfig(dataset="synthetic", limit=20))
    real = class_subset(select(data_set, split.test_ids), "MEL").images
    net = _tiny_net()
    expected = fid_from_features(net.features(real), net.features(data["images"]))
    assert report["real"]["hardware"]["fid"] == pytest.approx(expected, rel=1e-6)
    # readout mitigation is on, so the same shots unmitigated are scored too (hardware_raw)
    assert set(report["real"]) == {"hardware", "hardware_raw", "simulator", FLOOR}
    assert report["real"]["hardware_raw"]["fid"] != report["real"]["hardware"]["fid"]
    assert report["cls"] == "MEL"  # the row of python -m qgan.hardware.table
    # the floor: as many real training images of the class, scored the same way
    train = sample_of(class_subset(select(data_set, split.train_ids), "MEL"), 6, 0)
    expected = fid_from_features(net.features(real), net.features(train))
    assert report["real"][FLOOR]["fid"] == pytest.approx(expected, rel=1e-6)
    md = (out / "report.md").read_text()
    assert "| hardware |" in md and "fake_jakarta" in md and "readout" in md
    assert "| images | Inception FID | Inception KID x 10^3 | SSIM diversity |" in md
    rows = [line.split(" | ")[0] for line in md.splitlines() if line.startswith("| ")]
    assert rows[-5:] == ["| images", "| hardware", "| hardware_raw", "| simulator", f"| {FLOOR}"]


def test_simulator_images_are_the_models_own_forward(checkpoint, tmp_path, monkeypatch):
    monkeypatch.setattr(hw_run, "get_backend", _ideal())
    cfg = HardwareConfig(
        backend="fake_ideal",
        checkpoint=checkpoint,
        n=3,
        shots=64,
        mitigation=NONE,
        out=str(tmp_path / "hw"),
    )
    data = _npz(hardware_infer(cfg))
    parts = hw_run.load_hybridq(checkpoint)
    with torch.no_grad():
        forward = parts.generator(torch.as_tensor(data["noise"]))  # decoder(norm(quantum(x)))
    sim = ((forward.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1)
    assert np.abs(sim.numpy().astype(int) - data["sim_images"]).max() <= 1  # float32 vs 64


@pytest.mark.parametrize("separate", [False, True])
def test_noiseless_backend_matches_the_exact_simulator_within_shot_noise(
    checkpoint, tmp_path, monkeypatch, separate
):
    monkeypatch.setattr(hw_run, "get_backend", _ideal())
    shots = 20000
    cfg = HardwareConfig(
        backend="fake_ideal",
        checkpoint=checkpoint,
        n=4,
        shots=shots,
        mitigation=NONE,
        separate=separate,
        out=str(tmp_path),
    )
    out = hardware_infer(cfg)
    data = _npz(out)
    # each <Z> is a mean of `shots` values +-1: standard deviation at most 1/sqrt(shots)
    assert np.abs(data["z_mitigated"] - data["z_exact"]).max() < 5 / np.sqrt(shots)
    assert np.abs(data["z_exact"]).std() > 0.05  # the values vary: the check can fail
    report = json.loads((out / "report.json").read_text())
    assert len(report["circuits"]) == (2 if separate else 1)
    assert all(c["swaps"] == 0 for c in report["circuits"])


def test_an_interrupted_local_run_resumes_at_its_first_unfinished_chunk(
    checkpoint, tmp_path, monkeypatch
):
    base = dict(backend="fake_jakarta", checkpoint=checkpoint, n=4, shots=256, chunk=2)
    fresh = _npz(hardware_infer(HardwareConfig(**base, out=str(tmp_path / "fresh"))))
    real_run, calls = LocalExecutor.run, []

    def interrupted(self, chunk, values):
        calls.append(chunk.index)
        if chunk.index == 1 and len(calls) == 2:
            raise KeyboardInterrupt
        return real_run(self, chunk, values)

    monkeypatch.setattr(LocalExecutor, "run", interrupted)
    argv = [
        "--backend",
        "fake_jakarta",
        "--checkpoint",
        checkpoint,
        "--n",
        "4",
        "--shots",
        "256",
        "--chunk",
        "2",
        "--out",
        str(tmp_path / "hw"),
    ]
    with pytest.raises(SystemExit, match="interrupted.*rerun the same command") as exit_:
        main(argv)
    assert "\n" not in str(exit_.value.code)
    main(argv)  # the same command again: chunk 0 from its file, chunk 1 simulated
    assert calls == [0, 1, 1]
    resumed = _npz(tmp_path / "hw")
    np.testing.assert_array_equal(resumed["z_mitigated"], fresh["z_mitigated"])
    report = json.loads((tmp_path / "hw" / "report.json").read_text())
    assert [j["source"] for j in report["jobs"]] == ["saved result", "simulated now"]
    assert report["layout"]["method"] == "saved"  # the lines chosen when the run started
    with pytest.raises(SystemExit, match=r"other settings \(n 4 -> 5\)"):
        main(argv[:5] + ["5"] + argv[6:])
    main(["--resume", "--out", str(tmp_path / "hw")])  # its saved settings, nothing to redo
    assert calls == [0, 1, 1]


def test_dry_run_transpiles_and_writes_nothing(checkpoint, tmp_path, capsys):
    main(
        [
            "--backend",
            "fake_jakarta",
            "--checkpoint",
            checkpoint,
            "--dry-run",
            "--out",
            str(tmp_path / "hw"),
        ]
    )
    printed = capsys.readouterr().out
    assert "2 disjoint lines of 3 qubits" in printed and "swaps" in printed
    assert "64 images in 1 local chunk(s)" in printed  # the automatic --n and --chunk
    assert not (tmp_path / "hw").exists()


def _error(argv) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    text = str(exit_.value.code)
    assert text.startswith("error: ") and "\n" not in text
    return text


def test_clear_one_line_errors(checkpoint, tmp_path, monkeypatch):
    for var in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_CHANNEL", "QISKIT_IBM_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(  # the real QiskitRuntimeService with an empty account file
        "qiskit_ibm_runtime.accounts.management._DEFAULT_ACCOUNT_CONFIG_JSON_FILE",
        str(tmp_path / "qiskit-ibm.json"),
    )
    out = ["--out", str(tmp_path / "hw")]
    assert "save_account" in _error(["--backend", "ibm_brisbane", "--checkpoint", checkpoint, *out])
    assert "did you mean fake_brisbane" in _error(
        ["--backend", "fake_brisbaen", "--checkpoint", checkpoint, *out]
    )
    assert "fake_<device>" in _error(["--backend", "brisbane", "--checkpoint", checkpoint, *out])
    assert "no checkpoint at" in _error(["--checkpoint", str(tmp_path / "none"), *out])
    assert "extrapolator must be one of" in _error(["--extrapolator", "cubic", *out])
    assert "--scale-shots takes comma-separated numbers" in _error(["--scale-shots", "3,x", *out])
    assert "a switch of its own: --readout" in _error(["--mitigation", "all", *out])  # old flag
    assert "nothing to resume" in _error(["--resume", *out])
    for model, why in (("dcgan", "no quantum circuit"), ("mosaiq", "cannot run on hardware yet")):
        folder = tmp_path / model
        folder.mkdir()
        text = _error(["--checkpoint", tiny_checkpoint(folder, model), *out])
        assert f"is a {model} checkpoint" in text and why in text
    assert not (tmp_path / "hw").exists()  # every error came before anything was written


def test_the_command_line_prints_no_traceback(tmp_path):
    folder = tmp_path / "dcgan"
    folder.mkdir()
    ckpt = tiny_checkpoint(folder, "dcgan")
    proc = subprocess.run(
        [sys.executable, "-m", "qgan.hardware_infer", "--checkpoint", ckpt],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "dcgan checkpoint" in proc.stderr
