"""Checkpoints are plain data, read with ``weights_only=True``: a crafted file never runs code.

The crafted ``evil.pt`` would create a marker file when unpickled; every CLI that takes a
checkpoint must refuse it in one line and leave no marker. Configs round-trip through dicts
(oracle: dataclass equality after a real ``torch.save``/``torch.load``); RNG states round-trip
(oracle: the draws after a restore equal the draws the saved state gave). Old-format files are
refused with the conversion command, and ``qgan.convert`` turns them into files that load.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import sys
import types

import numpy as np
import pytest
import torch

from qgan.artifacts import atomic_path
from qgan.augment import main as augment_main
from qgan.checkpoint import (
    CONVERT,
    FORMAT,
    config_from_dict,
    config_to_dict,
    load_checkpoint,
    restore_rng_states,
    rng_states,
    save_checkpoint,
)
from qgan.convert import main as convert_main
from qgan.data import DataConfig, load_dataset, save_split, split_by_lesion
from qgan.evaluate import main as evaluate_main
from qgan.evaluation.features import DermNetworkMissing, read_derm_record
from qgan.hardware_infer import main as hardware_main
from qgan.models.config import ModelConfig, QuantumConfig
from qgan.models.dcgan import DCGANConfig
from qgan.models.gan import checkpoint_model_config
from qgan.models.mosaiq import MosaiQConfig
from qgan.models.networks import build_generator
from qgan.models.sampling import load_generator
from qgan.sample import main as sample_main
from qgan.train import main as train_main
from qgan.training.config import TrainConfig

RUN_CONFIG = {
    "model": "hybridq",
    "dataset": "synthetic",
    "cls": "MEL",
    "classes": "MEL,NV,BCC",
    "limit": 20,
    "image_size": 64,
    "seed": 0,
}
TINY = ModelConfig(latent_dim=6, quantum=QuantumConfig(n_sub=2, n_qubits=3, n_layers=2, seed=1))


class _Marker:
    """Unpickling this runs a shell command that creates ``path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def _evil(folder):
    """(a run folder whose last.pt runs a command when unpickled, the marker it would create)."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder.parent / "MARKER"
    payload = {"config": RUN_CONFIG, "model_config": {}, "generator": _Marker(marker)}
    torch.save(payload | {"format": FORMAT}, folder / "last.pt")
    (folder / "config.json").write_text(json.dumps(RUN_CONFIG))
    save_split(
        split_by_lesion(load_dataset(DataConfig(dataset="synthetic", limit=20)), 0.2, 0), folder
    )
    return folder, marker


def test_the_crafted_file_would_run_its_command_when_unpickled(tmp_path):
    """The oracle for the tests below: the file is live (this is what they guard against)."""
    run, marker = _evil(tmp_path / "run")
    torch.load(run / "last.pt", weights_only=False)
    assert marker.exists()


def _cli(name: str, tmp_path, run):
    """(main, argv) of CLI ``name`` given the run folder ``run``."""
    last, out = str(run / "last.pt"), str(tmp_path / "out")
    if name == "sample":
        return sample_main, ["--checkpoint", last, "--out", out]
    if name == "train --resume":
        return train_main, ["--resume", str(run)]
    if name == "evaluate":
        none = str(tmp_path / "none.pt")
        flags = ["--out", out, "--no-download", "--curve-n", "0", "--derm-features", none]
        return evaluate_main, [str(run), *flags]
    if name == "hardware_infer":
        return hardware_main, ["--checkpoint", last, "--dry-run", "--out", out]
    if name == "augment":
        mapping = tmp_path / "map.json"
        mapping.write_text(json.dumps({"hybridq": dict.fromkeys(("MEL", "NV", "BCC"), last)}))
        flags = "lesions --dataset synthetic --limit 20 --models hybridq --classifier smallcnn"
        flags += " --alphas 0,0.5 --seeds 0"
        return augment_main, [*flags.split(), "--generated-map", str(mapping), "--out", out]
    from benchmarks.mitigation_bench import main as bench_main

    return bench_main, ["--checkpoint", last]


@pytest.mark.parametrize(
    "cli",
    ["sample", "train --resume", "evaluate", "hardware_infer", "augment", "mitigation_bench"],
)
def test_every_cli_refuses_the_crafted_checkpoint_without_running_it(tmp_path, cli):
    run, marker = _evil(tmp_path / "hybridq-synthetic-MEL")
    main, argv = _cli(cli, tmp_path, run)
    with pytest.raises(SystemExit) as exc:
        main(argv)
    text = str(exc.value.code)
    assert "\n" not in text and "holds Python objects" in text and "posix.system" in text
    assert f"{CONVERT} " in text
    assert not marker.exists()


def test_a_crafted_derm_network_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "MARKER"
    torch.save({"kind": "qgan-derm-features", "net": _Marker(marker)}, tmp_path / "derm.pt")
    with pytest.raises(DermNetworkMissing, match="holds Python objects") as exc:
        read_derm_record(tmp_path / "derm.pt")
    assert "\n" not in str(exc.value) and not marker.exists()


def test_an_npz_naming_a_crafted_checkpoint_does_not_run_it(tmp_path):
    from qgan.augmentation.sources import Source, load_pool

    run, marker = _evil(tmp_path / "run")
    images = np.zeros((3, 8, 8, 3), dtype=np.uint8)
    np.savez(tmp_path / "samples.npz", images=images, checkpoint=str(run / "last.pt"))
    pool = load_pool(
        Source("m", "MEL", npz=tmp_path / "samples.npz"), tmp_path / "samples.npz", 8, 3
    )
    assert "step" not in pool.generator and not marker.exists()


# ------------------------------------------------------------------------ configs as dicts
@pytest.mark.parametrize(
    "cfg",
    [
        TINY,
        ModelConfig(),
        MosaiQConfig(image_shape=(1, 28, 28), hidden=(8,)),
        DCGANConfig(nz=7),
        TrainConfig(model="dcgan", epochs=3),
    ],
    ids=["hybridq-tiny", "hybridq", "mosaiq", "dcgan", "train"],
)
def test_configs_round_trip_through_a_weights_only_file(tmp_path, cfg):
    torch.save({"c": config_to_dict(cfg)}, tmp_path / "c.pt")
    data = torch.load(tmp_path / "c.pt", weights_only=True)["c"]
    assert config_from_dict(type(cfg), data) == cfg
    json.dumps(data)  # plain enough for JSON too


def test_a_missing_key_takes_the_default_and_an_unknown_key_is_an_error():
    data = config_to_dict(TINY)
    del data["ndf"], data["quantum"]["dtype"]
    back = config_from_dict(ModelConfig, data)
    assert back.ndf == ModelConfig.ndf and back.quantum.dtype == QuantumConfig.dtype
    assert back.quantum.n_qubits == 3
    with pytest.raises(ValueError, match=r"model_config.quantum has field\(s\) \['qubitz'\]"):
        config_from_dict(ModelConfig, data | {"quantum": {"qubitz": 3}}, "model_config")
    with pytest.raises(ValueError, match="not a valid ModelConfig: latent_dim 7"):
        config_from_dict(ModelConfig, data | {"latent_dim": 7})


def test_rng_states_round_trip_as_plain_data(tmp_path):
    noise = torch.Generator().manual_seed(3)
    np.random.seed(5)
    random.seed(7)
    np.random.standard_normal()  # leaves a cached Gaussian in numpy's state
    save_checkpoint({"config": {}, "rng": rng_states(noise)}, tmp_path / "r.pt")

    def draws():
        numpy = (np.random.standard_normal(3).tolist(), np.random.rand())
        python = (random.random(), random.gauss(0, 1))
        return numpy, python, torch.rand(2).tolist(), torch.rand(2, generator=noise).tolist()

    want = draws()
    np.random.seed(1), random.seed(1), torch.manual_seed(1), noise.manual_seed(1)
    restore_rng_states(load_checkpoint(tmp_path / "r.pt")["rng"], noise)
    assert draws() == want


def test_saving_something_that_is_not_plain_data_is_a_bug_caught_before_writing(tmp_path):
    with pytest.raises(TypeError, match=r"checkpoint\['model_config'\] is a ModelConfig"):
        save_checkpoint({"config": {}, "model_config": TINY}, tmp_path / "x.pt")
    assert not list(tmp_path.iterdir())


def test_a_write_that_fails_midway_leaves_the_old_file_whole_and_no_temporary(tmp_path):
    path = tmp_path / "sub" / "cache.json"  # the folder is created
    with atomic_path(path) as tmp:
        assert tmp.parent == path.parent and tmp != path
        tmp.write_text("old")
    assert path.read_text() == "old"
    with pytest.raises(RuntimeError, match="killed"), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed midway")
    assert path.read_text() == "old"
    assert [p.name for p in path.parent.iterdir()] == ["cache.json"]


# ----------------------------------------------------------------------------- old format
def _old_format(tmp_path, monkeypatch):
    """A format-1 checkpoint (pickled ModelConfig, numpy RNG tuple) and its generator, its
    config classes pickled where they lived then (``qgan.models``, ``qgan.quantum``)."""
    for module, cls in (("qgan.models", ModelConfig), ("qgan.quantum", QuantumConfig)):
        if module not in sys.modules:
            monkeypatch.setitem(sys.modules, module, types.ModuleType(module))
        monkeypatch.setattr(sys.modules[module], cls.__name__, cls, raising=False)
        monkeypatch.setattr(cls, "__module__", module)
    gen = build_generator(TINY)
    gen.norm.running_mean.copy_(torch.linspace(0.2, 0.8, 6))
    np.random.seed(11)
    noise = torch.Generator().manual_seed(2).get_state()
    rng = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
        "noise": noise,
    }
    old = {
        "config": RUN_CONFIG,
        "model_config": TINY,
        "generator": gen.state_dict(),
        "noise": {"bound": 1.5, "ratio0": None},
        "position": {"step": 3},
        "rng": rng,
    }
    torch.save(old, tmp_path / "last.pt")
    return old


def test_an_old_format_checkpoint_is_refused_naming_the_conversion(tmp_path, monkeypatch):
    _old_format(tmp_path, monkeypatch)
    with pytest.raises(SystemExit) as exc:
        sample_main(["--checkpoint", str(tmp_path), "--out", str(tmp_path / "out")])
    text = str(exc.value.code)
    assert "\n" not in text and "qgan.models.ModelConfig" in text
    assert f"{CONVERT} {tmp_path / 'last.pt'}" in text
    save_checkpoint({"config": {}, "generator": {}}, tmp_path / "x.pt")
    plain_but_old = torch.load(tmp_path / "x.pt", weights_only=True)
    del plain_but_old["format"]
    torch.save(plain_but_old, tmp_path / "x.pt")
    with pytest.raises(ValueError, match=f"checkpoint format 1; convert it .* with: {CONVERT}"):
        load_checkpoint(tmp_path / "x.pt")


def test_convert_makes_an_old_checkpoint_load_with_the_same_generator_and_rng(
    tmp_path, capsys, monkeypatch
):
    old = _old_format(tmp_path, monkeypatch)
    monkeypatch.undo()  # the classes are back where they live now; the file names the old places
    convert_main([str(tmp_path)])
    out = capsys.readouterr().out
    assert "unpickling" in out and "runs any code" in out and f"format {FORMAT}" in out
    ckpt = load_checkpoint(tmp_path / "last.pt")
    assert ckpt["format"] == FORMAT and checkpoint_model_config(ckpt) == TINY
    noise = torch.Generator()
    restore_rng_states(ckpt["rng"], noise)
    state = np.random.get_state()
    assert state[0] == old["rng"]["numpy"][0] and state[2:] == old["rng"]["numpy"][2:]
    np.testing.assert_array_equal(state[1], old["rng"]["numpy"][1])
    assert random.getstate() == old["rng"]["python"]
    assert torch.equal(noise.get_state(), old["rng"]["noise"])
    generator, _ = load_generator(ckpt)
    for key, value in old["generator"].items():
        assert torch.equal(generator.state_dict()[key], value), key
    convert_main([str(tmp_path / "last.pt")])  # a second run changes nothing
    assert "already format 2, nothing to do" in capsys.readouterr().out


def test_convert_refuses_a_foreign_file_and_writes_nothing(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "foreign.pt")
    before = (tmp_path / "foreign.pt").read_bytes()
    with pytest.raises(SystemExit, match="neither a qgan checkpoint nor a derm network"):
        convert_main([str(tmp_path / "foreign.pt")])
    assert (tmp_path / "foreign.pt").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.pt"]


def test_convert_help_says_it_unpickles(capsys):
    with pytest.raises(SystemExit):
        convert_main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "UNPICKLES ITS INPUT" in text and "only files you trust" in text


def test_train_config_from_dict_refuses_unknown_keys():
    data = dataclasses.asdict(TrainConfig()) | {"frobnicate": 1}
    with pytest.raises(ValueError, match=r"\['frobnicate'\] that TrainConfig does not know"):
        TrainConfig.from_dict(data)


def test_convert_makes_an_old_derm_network_with_numpy_values_load(tmp_path, capsys):
    from qgan.evaluation.features import DermNet, load_derm_network, save_derm_network

    net = DermNet(3, width=8).eval()
    record = {
        "config": {"dataset": "synthetic", "image_size": 64},
        "class_names": ["a", "b", "c"],
        "data_hash": "0" * 64,
        "train_ids": ["x"],
        "metrics": {"test_accuracy": np.float64(0.5)},
    }
    path = save_derm_network(net, tmp_path / "derm.pt", record)  # a numpy scalar: not plain
    with pytest.raises(DermNetworkMissing, match=f"numpy.*{CONVERT} {path}"):
        read_derm_record(path)
    convert_main([str(path)])
    assert "derm feature network converted" in capsys.readouterr().out
    loaded, back = load_derm_network(path)  # its weight fingerprint still checks out
    assert (
        back["metrics"]["test_accuracy"] == 0.5 and type(back["metrics"]["test_accuracy"]) is float
    )
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    torch.testing.assert_close(loaded.module(x), net.features(x))
