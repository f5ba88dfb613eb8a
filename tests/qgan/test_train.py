"""``python -m qgan.train`` end to end on tiny synthetic runs (seconds each).

Runs use the real 10 x 10-qubit generator with one layer (``--n-layers 1``) and a handful of
images: ``--limit 10`` leaves 8 MEL training images (2 steps of 4 per epoch), ``--limit 16``
leaves 13 (3 steps per epoch), so a resume at step 2 lands mid-epoch.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from pathlib import Path

import pytest
import torch

import qgan.models.hybridq
from qgan.checkpoint import load_checkpoint
from qgan.train import QUICK, main, parse
from qgan.training.config import TrainConfig
from qgan.training.run import _new_run_dir, training_side
from qgan.training.trainer import Trainer, dead_game_hint, dead_game_warning

BASE = {
    "dataset": "synthetic",
    "limit": 10,
    "batch_size": 4,
    "epochs": 1,
    "max_steps": 2,
    "n_layers": 1,
    "grid": 8,
}
pytestmark = pytest.mark.usefixtures("no_qgan_data")

RUN = "hybridq-synthetic-MEL"
STEP_KEYS = {"d_loss", "g_total", "g_adversarial", "g_latent", "g_reconstruction"}
STEP_KEYS |= {"noise_bound", "sec_per_step", "step", "epoch"}
STEP_KEYS |= {"d_real", "d_fake", "d_accuracy", "d_separated"}  # the game's health
STEP_KEYS |= {"augment_p"}  # the default objective (ada): its augmentation probability


def _flags(out: Path, **overrides) -> dict:
    return BASE | {"out": str(out)} | overrides


def _argv(flags: dict) -> list[str]:
    argv = []
    for key, value in flags.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    return argv


def _run(out: Path, **overrides) -> Path:
    """A training run through the CLI; returns its run folder."""
    main(_argv(_flags(out, **overrides)))
    return out / RUN


def _metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def two_step_run(tmp_path_factory) -> Path:
    """One completed epoch of 2 steps, with the default 64-image grid."""
    out = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("QGAN_DATA", raising=False)
        return _run(out, grid=64)


def test_run_writes_config_split_metrics_checkpoints_and_pictures(two_step_run, assert_same):
    run = two_step_run
    expected = TrainConfig(**_flags(run.parent, grid=64)).resolved()
    assert json.loads((run / "config.json").read_text()) == dataclasses.asdict(expected)
    split = json.loads((run / "split.json").read_text())
    assert split  # the split's own format is tested in test_data.py
    metrics = _metrics(run)
    assert [m["step"] for m in metrics] == [1, 2]
    assert [m["epoch"] for m in metrics] == [0, 0]
    for m in metrics:
        assert set(m) == STEP_KEYS
        assert all(isinstance(v, (int, float)) for v in m.values())
    last = load_checkpoint(run / "last.pt")
    assert last["position"] == {"step": 2, "epoch": 1, "batch": 0}
    assert {"opt_g", "opt_d", "discriminator", "encoder", "rng"} <= set(last)
    snap = load_checkpoint(run / "epoch001.pt")
    keys = {"config", "model_config", "generator", "noise", "position", "parameters", "format"}
    assert set(snap) == keys
    assert_same(snap["generator"], last["generator"])
    assert snap["noise"] == last["noise"] and snap["noise"]["bound"] == metrics[-1]["noise_bound"]
    for name in ("samples_epoch001.png", "loss_curve.png"):
        assert (run / name).stat().st_size > 0


def test_run_stopped_mid_epoch_writes_the_grid_of_its_final_state_and_no_epoch_files(tmp_path):
    run = _run(tmp_path, limit=16, max_steps=2)  # 3 steps per epoch
    assert [m["step"] for m in _metrics(run)] == [1, 2]
    assert load_checkpoint(run / "last.pt")["position"] == {"step": 2, "epoch": 0, "batch": 2}
    assert not list(run.glob("epoch*.pt"))
    assert [p.name for p in run.glob("samples_*.png")] == ["samples_step000002.png"]
    assert (run / "loss_curve.png").stat().st_size > 0


def test_run_stopped_at_an_epoch_end_writes_no_second_grid(two_step_run):
    assert sorted(p.name for p in two_step_run.glob("samples_*.png")) == ["samples_epoch001.png"]


def test_dry_run_prints_the_resolved_config_and_creates_nothing(tmp_path, capsys):
    flags = _flags(tmp_path / "runs", dataset="auto")
    main(_argv(flags) + ["--dry-run"])
    printed = json.loads(capsys.readouterr().out)
    assert printed == dataclasses.asdict(TrainConfig(**flags).resolved())
    assert printed["dataset"] == "synthetic"
    assert not (tmp_path / "runs").exists()


def test_cls_all_trains_one_run_folder_per_class(tmp_path):
    main(_argv(_flags(tmp_path, cls="all", limit=8, max_steps=0)))  # 6 images: 1 step each
    runs = sorted(p.name for p in tmp_path.iterdir())
    assert runs == sorted(f"hybridq-synthetic-{c}" for c in ("MEL", "NV", "BCC"))
    splits = set()
    for cls in ("MEL", "NV", "BCC"):
        run = tmp_path / f"hybridq-synthetic-{cls}"
        assert json.loads((run / "config.json").read_text())["cls"] == cls
        assert load_checkpoint(run / "last.pt")["position"]["step"] == 1
        assert (run / "epoch001.pt").exists()
        splits.add((run / "split.json").read_text())
    assert len(splits) == 1  # one split of the data set, shared by the per-class runs


def test_a_new_run_never_overwrites_an_existing_folder(tmp_path):
    (tmp_path / RUN).mkdir()
    (tmp_path / RUN / "keep.txt").write_text("mine")
    run = _run(tmp_path, max_steps=1)
    assert run.name == RUN  # _run's guess; the real folder has the suffix
    assert sorted(p.name for p in (tmp_path / RUN).iterdir()) == ["keep.txt"]
    assert (tmp_path / f"{RUN}-2" / "last.pt").exists()
    assert _new_run_dir(tmp_path, RUN) == tmp_path / f"{RUN}-3"


@pytest.mark.parametrize(
    "limit", [16, 10], ids=["mid-epoch (3 steps/epoch)", "epoch boundary (2 steps/epoch)"]
)
def test_resume_continues_exactly(tmp_path, limit, assert_same):
    straight = _run(tmp_path / "a", limit=limit, epochs=2, max_steps=4)
    resumed = _run(tmp_path / "b", limit=limit, epochs=2, max_steps=2)
    main(["--resume", str(resumed), "--epochs", "2", "--max-steps", "4"])
    a, b = load_checkpoint(straight / "last.pt"), load_checkpoint(resumed / "last.pt")
    for key in ("generator", "encoder", "discriminator", "opt_g", "opt_d", "noise", "position"):
        assert_same(a[key], b[key], key)
    assert_same(a["rng"]["noise"], b["rng"]["noise"], "rng.noise")
    assert_same(
        load_checkpoint(straight / "epoch001.pt")["generator"],
        load_checkpoint(resumed / "epoch001.pt")["generator"],
    )
    ma, mb = _metrics(straight), _metrics(resumed)
    assert [m["step"] for m in mb] == [1, 2, 3, 4]
    for x, y in zip(ma, mb, strict=True):
        assert {k: v for k, v in x.items() if k != "sec_per_step"} == {
            k: v for k, v in y.items() if k != "sec_per_step"
        }


def test_adaptive_augmentation_resumes_exactly(tmp_path, assert_same):
    """ADA's p, its running sums (resumed mid-interval) and the augmentation stream."""
    straight = _run(tmp_path / "a", limit=16, epochs=3, max_steps=6, objective="ada")
    resumed = _run(tmp_path / "b", limit=16, epochs=3, max_steps=2, objective="ada")
    main(["--resume", str(resumed), "--epochs", "3", "--max-steps", "6"])
    a, b = load_checkpoint(straight / "last.pt"), load_checkpoint(resumed / "last.pt")
    assert a["game"] == b["game"] and a["game"]["seen"] > 0  # mid-interval: r's sums restored
    for key in ("generator", "discriminator", "rng"):
        assert_same(a[key], b[key], key)
    assert [m["augment_p"] for m in _metrics(straight)] == [
        m["augment_p"] for m in _metrics(resumed)
    ]


def _interrupt_at_step(monkeypatch, step: int) -> None:
    """Ctrl-C at the start of optimizer step ``step`` (1-based)."""
    real_step = Trainer.step

    def step_or_interrupt(self, real):
        if self.pos.step == step - 1:
            raise KeyboardInterrupt
        return real_step(self, real)

    monkeypatch.setattr(Trainer, "step", step_or_interrupt)


def test_ctrl_c_saves_last_pt_and_says_resume(tmp_path, monkeypatch):
    _interrupt_at_step(monkeypatch, 2)
    with pytest.raises(SystemExit, match="--resume") as exc:
        _run(tmp_path, limit=16)
    assert "interrupted at step 1" in str(exc.value)
    run = tmp_path / RUN
    assert load_checkpoint(run / "last.pt")["position"] == {"step": 1, "epoch": 0, "batch": 1}
    assert [m["step"] for m in _metrics(run)] == [1]
    assert (run / "samples_step000001.png").stat().st_size > 0
    monkeypatch.undo()
    main(["--resume", str(run), "--epochs", "1", "--max-steps", "2"])
    assert [m["step"] for m in _metrics(run)] == [1, 2]


def test_ctrl_c_between_the_discriminator_and_generator_updates_resumes_exactly(
    tmp_path,
    monkeypatch,
    assert_same,
):
    straight = _run(tmp_path / "a", limit=16)
    real_objective = qgan.models.hybridq.generator_objective
    calls = []

    def objective_or_interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # step 2, after opt_d.step(): a real Ctrl-C arrives
            os.kill(os.getpid(), signal.SIGINT)
        return real_objective(*args, **kwargs)

    monkeypatch.setattr(qgan.models.hybridq, "generator_objective", objective_or_interrupt)
    with pytest.raises(SystemExit, match="--resume"):
        _run(tmp_path / "b", limit=16)
    monkeypatch.undo()
    main(["--resume", str(tmp_path / "b" / RUN), "--epochs", "1", "--max-steps", "2"])
    a = load_checkpoint(straight / "last.pt")
    b = load_checkpoint(tmp_path / "b" / RUN / "last.pt")
    assert_same(a["discriminator"], b["discriminator"], "discriminator")


def test_resume_without_epochs_keeps_the_runs_epochs(tmp_path, monkeypatch):
    run = _run(tmp_path, limit=16, epochs=1, max_steps=1)
    seen = {}
    monkeypatch.setattr(Trainer, "fit", lambda self: seen.setdefault("epochs", self.cfg.epochs))
    main(["--resume", str(run)])
    assert seen["epochs"] == 1


@pytest.fixture(scope="module")
def one_step_run(tmp_path_factory) -> Path:
    """A run stopped after 1 of 3 steps; tests that refuse to resume it must leave it as is."""
    out = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("QGAN_DATA", raising=False)
        return _run(out, limit=16, max_steps=1)


def _files(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(run.iterdir())}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--lr-discriminator", "0.01"], "--lr-discriminator 0.01 (the run's: 0.002)"),
        (
            ["--batch-size", "8", "--seed=3"],
            "--batch-size 8 (the run's: 4), --seed 3 (the run's: 0)",
        ),
        (["--batch", "8"], "--batch-size 8 (the run's: 4)"),  # argparse's abbreviation
        (["--model", "dcgan"], "--model 'dcgan' (the run's: 'hybridq')"),
        (["--sim", "reference", "--epochs", "3"], "--sim 'reference' (the run's: 'fast')"),
        (["--out", "elsewhere"], "--out does not apply to --resume"),
    ],
)
def test_resume_refuses_flags_that_would_change_the_run(one_step_run, argv, message):
    before = _files(one_step_run)
    with pytest.raises(SystemExit) as exc:
        main(["--resume", str(one_step_run), *argv])
    text = str(exc.value.code)
    assert text.startswith("error: ") and "\n" not in text and message in text
    assert _files(one_step_run) == before  # nothing trained, nothing rewritten


def test_resume_accepts_flags_equal_to_the_runs_own(one_step_run, monkeypatch):
    seen = {}
    monkeypatch.setattr(Trainer, "fit", lambda self: seen.setdefault("cfg", self.cfg))
    flags = "--batch-size 4 --lr-discriminator 0 --dataset synthetic --n-layers 1".split()
    main(["--resume", str(one_step_run), *flags])
    assert seen["cfg"].lr_discriminator == 2e-3 and seen["cfg"].batch_size == 4


def test_resume_applies_epochs_max_steps_and_grid_and_records_them(tmp_path, capsys):
    run = _run(tmp_path, limit=16, epochs=1, max_steps=1, grid=8)
    main(["--resume", str(run), "--epochs", "2", "--max-st", "4", "--grid=4"])
    assert "epochs 1 -> 2, grid 8 -> 4, max_steps 1 -> 4" in capsys.readouterr().out
    assert [m["step"] for m in _metrics(run)] == [1, 2, 3, 4]
    saved = json.loads((run / "config.json").read_text())
    assert (saved["epochs"], saved["max_steps"], saved["grid"]) == (2, 4, 4)
    (line,) = [json.loads(x) for x in (run / "resumes.jsonl").read_text().splitlines()]
    assert line == {
        "step": 1,
        "epoch": 0,
        "batch": 1,
        "changed": {"epochs": [1, 2], "grid": [8, 4], "max_steps": [1, 4]},
    }


def test_resume_dry_run_prints_the_resumed_config_and_trains_nothing(one_step_run, capsys):
    before = _files(one_step_run)
    main(["--resume", str(one_step_run), "--epochs", "7", "--dry-run"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["epochs"] == 7 and printed["batch_size"] == 4 and printed["resume"] == ""
    assert _files(one_step_run) == before


def test_resume_refuses_data_that_is_not_the_runs_split(tmp_path):
    run = _run(tmp_path, limit=16, max_steps=1)
    split = json.loads((run / "split.json").read_text())
    split["train"] = split["train"][1:]
    (run / "split.json").write_text(json.dumps(split))
    n = len(split["train"])
    with pytest.raises(SystemExit, match=f"gives {n + 1} .* not the {n} of .*split.json: point"):
        main(["--resume", str(run), "--data-root", str(tmp_path)])


def test_resume_reads_the_same_classes_as_the_run(tmp_path):
    run = _run(tmp_path, limit=16, max_steps=1, classes="MEL, NV,BCC")  # spaces as typed
    main(["--resume", str(run), "--epochs", "1", "--max-steps", "2"])
    assert [m["step"] for m in _metrics(run)] == [1, 2]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"dataset": "nope"}, "unknown --dataset 'nope'"),
        ({"cls": "XYZ"}, "unknown class 'XYZ'"),
        ({"sim": "nope"}, "unknown sim 'nope'"),
        ({"epochs": 0}, "--epochs must be at least 1"),
        ({"batch_size": 0}, "--batch-size must be at least 1"),
        ({"resume": "missing"}, "no checkpoint at"),
        ({"decoder_bias_init": "mean"}, "unknown --decoder-bias-init 'mean'; choose one of"),
        ({"train_per_class": -1}, "--train-per-class must be at least 0"),
    ],
)
def test_bad_inputs_exit_with_one_line(tmp_path, overrides, message):
    if "resume" in overrides:
        overrides = {"resume": str(tmp_path / overrides["resume"])}
    with pytest.raises(SystemExit) as exc:
        main(_argv(_flags(tmp_path / "runs", **overrides)))
    text = str(exc.value.code)
    assert text.startswith("error: ") and "\n" not in text
    assert message in text
    assert not (tmp_path / "runs").exists()  # nothing half-made


def test_resume_of_a_snapshot_or_a_foreign_file_exits_with_one_line(two_step_run, tmp_path):
    with pytest.raises(SystemExit, match="per-epoch snapshot; resume from the run's last.pt"):
        main(["--resume", str(two_step_run / "epoch001.pt")])
    (tmp_path / "x.pt").write_text("not a checkpoint")
    with pytest.raises(SystemExit, match="^error: cannot read checkpoint"):
        main(["--resume", str(tmp_path / "x.pt")])
    torch.save({"state": 1}, tmp_path / "y.pt")
    with pytest.raises(SystemExit, match="not a qgan checkpoint"):
        main(["--resume", str(tmp_path / "y.pt")])


def test_no_arguments_apply_the_quick_preset_and_say_so(capsys):
    cfg = parse([])
    assert {k: getattr(cfg, k) for k in QUICK} == QUICK
    assert "quick default" in capsys.readouterr().out
    assert parse(["--epochs", "3"]).limit == TrainConfig.limit  # any flag: no preset
    assert "quick" not in capsys.readouterr().out


def test_help_shows_every_flag_with_its_default(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for spec in dataclasses.fields(TrainConfig):
        assert f"--{spec.name.replace('_', '-')}" in text
    assert "(default: 100)" in text and "(default: 'fast')" in text


def test_auto_dataset_is_synthetic_without_qgan_data_and_isic2019_with_it(
    tmp_path, monkeypatch, capsys
):
    assert TrainConfig().resolved().dataset == "synthetic"
    assert TrainConfig().resolved().data_root == ""
    monkeypatch.setenv("QGAN_DATA", str(tmp_path))
    resolved = TrainConfig().resolved()
    assert (resolved.dataset, resolved.data_root) == ("isic2019", str(tmp_path))
    assert TrainConfig(dataset="mnist").resolved().dataset == "mnist"  # explicit wins
    main(["--dry-run"])
    assert json.loads(capsys.readouterr().out)["dataset"] == "isic2019"


def test_train_per_class_draws_that_many_and_records_exactly_them(tmp_path):
    cfg = TrainConfig(dataset="synthetic", limit=20, train_per_class=5, seed=3).resolved()
    train_set, split = training_side(cfg)
    assert set(train_set.counts().values()) == {5}
    assert split.train_ids == tuple(sorted(train_set.image_ids.astype(str)))
    again, _ = training_side(cfg)
    assert list(again.image_ids) == list(train_set.image_ids)  # seeded
    other, _ = training_side(dataclasses.replace(cfg, seed=4))
    assert set(other.image_ids) != set(train_set.image_ids)
    full, full_split = training_side(dataclasses.replace(cfg, train_per_class=0))
    assert set(train_set.image_ids) < set(full.image_ids)
    assert split.test_ids == full_split.test_ids  # the test side does not move
    with pytest.raises(ValueError, match="--train-per-class 50 asks for more"):
        training_side(dataclasses.replace(cfg, train_per_class=50))
    flags = "--dataset synthetic --limit 20 --train-per-class 5 --seed 3 --epochs 1 --batch-size 5"
    main([*flags.split(), "--max-steps", "1", "--out", str(tmp_path)])
    written = json.loads((tmp_path / "hybridq-synthetic-MEL" / "split.json").read_text())
    assert written["train"] == list(split.train_ids)


def _health(epochs: list[list[bool]]) -> list[dict]:
    """metrics.jsonl lines: per epoch, one line per step, D separated or not."""
    return [
        {"epoch": e, "d_loss": 0.01 if won else 1.0, "d_separated": float(won)}
        for e, steps in enumerate(epochs)
        for won in steps
    ]


def test_dead_game_warning_reports_the_first_epoch_of_each_streak_only():
    metrics = _health([[True, False], [True, True], [True, True], [False, True], [True, True]])
    lines = [dead_game_warning(metrics, e, "a hint") for e in range(5)]
    assert lines[0] == "" and lines[2] == "" and lines[3] == ""  # one step not won; a streak
    for epoch in (1, 4):  # 0-based epochs that start a streak
        assert f"all 2 steps of epoch {epoch + 1} (mean D loss 0.01)" in lines[epoch]
        assert "(a hint)" in lines[epoch] and lines[epoch].count("\n") == 0
    assert dead_game_warning([{"epoch": 0, "d_loss": 0.0}], 0) == ""  # runs without health


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"decoder": "paper", "objective": "paper"}, "--decoder conv"),
        ({"objective": "paper"}, "--objective ada"),
        ({"objective": "ada"}, "ADA raises its augmentation probability"),
        ({"objective": ""}, "ADA raises its augmentation probability"),  # HybridQ's own: ada
        ({"model": "dcgan", "objective": ""}, "--objective ada"),  # DCGAN's own: paper
        ({"model": "mosaiq", "objective": "paper"}, ""),  # MosaiQ plays only its paper's game
    ],
)
def test_dead_game_hint_names_what_this_run_can_change(overrides, expected):
    hint = dead_game_hint(dataclasses.replace(TrainConfig(), **overrides))
    assert (expected in hint) if expected else hint == ""
