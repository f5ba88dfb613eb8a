"""``python -m qgan.augment lesions|digits`` end to end on tiny data (seconds each).

Lesions: the synthetic set at 16 px, a small CNN, one epoch, fake generated pools. Digits: MNIST
idx files written here (30 images per digit), fake QGAN/DCGAN pools, one epoch per HQCNN fit.
Test-set hygiene is checked by id against a split computed independently here. A fixed
average-pooling map stands in for Inception in the pools' image-quality tables (the real
network is tested in test_inception.py).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from torch import nn

import qgan.augmentation.digits as digits_mod
import qgan.augmentation.lesions as lesions_mod
import qgan.evaluation.networks as networks
import qgan.evaluation.scoring as scoring
from qgan.augment import main
from qgan.augmentation.config import AugmentError, DigitConfig, LesionConfig
from qgan.augmentation.digits import run_digits
from qgan.augmentation.lesions import run_lesions
from qgan.augmentation.tables import display
from qgan.data import DataConfig, class_subset, load_train_test, save_split
from qgan.data.arrays import resize_square
from qgan.evaluation.features import FeatureNet
from qgan.evaluation.metrics import fid_from_features
from qgan.evaluation.scoring import FLOOR
from qgan.training.config import TrainConfig
from qgan.training.run import training_side

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _stand_in() -> FeatureNet:
    """Inception's stand-in: 4x4 average pooling of the 299 px input, no weights, instant."""
    module = nn.Sequential(nn.AdaptiveAvgPool2d(4), nn.Flatten()).eval()
    return FeatureNet("inception", "avgpool4", module, unit_range=True, dim=48)


@pytest.fixture(autouse=True)
def _quality_networks(monkeypatch, tmp_path):
    monkeypatch.setattr(networks, "inception_network", lambda *a, **k: (_stand_in(), "stand-in"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # statistics, no derm network


CLASSES = ("MEL", "NV", "BCC")


def _pools(root, model, dataset, classes, n, shape, seed=0):
    rng = np.random.default_rng(seed)
    for cls in classes:
        folder = root / f"{model}-{dataset}-{cls}"
        folder.mkdir(parents=True)
        np.savez(folder / "samples.npz", images=rng.integers(0, 256, (n, *shape), dtype=np.uint8))


def _experiment(config: type, tmp_path, fields: dict, overrides: dict):
    """``config`` for one seed of one-epoch fits, generated images read from tmp_path/gen and
    results written to tmp_path/out; ``fields``, then a test's ``overrides``, set the rest."""
    run = {"generated": str(tmp_path / "gen"), "epochs": 1, "seeds": "0"}
    return config(**(run | {"out": str(tmp_path / "out")} | fields | overrides))


# A lesion sweep of seconds: 30 synthetic images at 16 px, alphas 0 and 0.5 of one fake GAN.
LESION = {"dataset": "synthetic", "limit": 30, "image_size": 16, "fraction": 0.5}
LESION |= {"alphas": "0,0.5", "models": "fakegan", "classifier": "smallcnn", "pretrained": "none"}
LESION |= {"batch_size": 16}


def _lesion_cfg(tmp_path, **kw) -> LesionConfig:
    return _experiment(LesionConfig, tmp_path, LESION, kw)


@pytest.fixture
def lesion_spy(monkeypatch):
    """Every (training ids, test ids) pair the lesion cells check."""
    seen = []
    real = lesions_mod.assert_disjoint

    def spy(train_ids, test_ids, what=""):
        seen.append((list(train_ids), list(test_ids), what))
        real(train_ids, test_ids, what)

    monkeypatch.setattr(lesions_mod, "assert_disjoint", spy)
    return seen


def test_lesions_end_to_end_tables_plot_and_no_test_image_in_training(tmp_path, lesion_spy):
    _pools(tmp_path / "gen", "fakegan", "synthetic", CLASSES, 40, (32, 32, 3))
    table = run_lesions(_lesion_cfg(tmp_path), progress=False)
    out = tmp_path / "out"
    records = [json.loads(line) for line in (out / "cells.jsonl").read_text().splitlines()]
    assert sorted(r["row"] for r in records) == ["classical", "fakegan", "none"]
    gan = next(r for r in records if r["row"] == "fakegan")
    assert gan["n_real"] == 36 and gan["n_generated"] == 36  # 12 per class; alpha 0.5 exactly
    assert gan["generated_per_class"] == [12, 12, 12] and gan["weights"] == "scratch"
    # independent oracle for the test side: the same loader and split, computed here
    _, test, _ = load_train_test(DataConfig("synthetic", classes=CLASSES, size=16, limit=30))
    cell_checks = [s for s in lesion_spy if s[2].startswith("cell")]
    assert len(cell_checks) == 3
    for train_ids, test_ids, _ in cell_checks:
        assert sorted(test_ids) == sorted(test.image_ids.tolist())
        assert not set(train_ids) & set(test_ids)
    (gan_ids,) = [ids for ids, _, what in cell_checks if "fakegan" in what]
    assert sum(i.startswith("generated/fakegan/") for i in gan_ids) == 36
    text = table.read_text()
    for expected in ("no augmentation", "classical augmentation", "| fakegan | 0.5 | 36 | 1 |"):
        assert expected in text
    assert (
        "seeds: 1 (0)" in text
        and "1 epochs" in text
        and "real training images per cell: 36" in text
    )
    assert "smallcnn (trained from scratch" in text and "test: 18 real held-out images" in text
    assert "| median Δ vs none | Wilcoxon p | wins/ties/losses | collapses |" in text
    assert "whose macro recall ended below 0.383" in text  # 1/3 + 0.05
    assert (out / "recall_vs_alpha.png").stat().st_size > 0
    assert (out / "table2.csv").read_text().startswith("method,row,alpha,n_seeds")
    assert json.loads((out / "config.json").read_text())["classifier"] == "smallcnn"
    # the pools' image quality, against the real test images of each class, floor last
    quality = text[text.index("## Generated images against the real test images") :]
    assert "| images | Inception FID MEL | Inception FID NV | Inception FID BCC |" in quality
    rows = [line.split(" | ")[0] for line in quality.splitlines() if line.startswith("| ")]
    assert rows[1:3] == ["| fakegan", f"| {FLOOR}"] and rows.count("| images") == 1
    records = json.loads((out / "quality.json").read_text())["records"]
    npz = tmp_path / "gen" / "fakegan-synthetic-MEL" / "samples.npz"
    pool = resize_square(np.load(npz)["images"], 16)
    real = class_subset(test, "MEL").images
    expected = fid_from_features(_stand_in().features(real), _stand_in().features(pool))
    assert records["fakegan/MEL"]["fid"] == pytest.approx(expected, rel=1e-6)
    assert records["fakegan/MEL"]["n_fake"] == 40
    assert records["real/MEL"]["n_fake"] == 24  # as many as the pool, or all 24 MEL training


def test_lesions_resume_runs_only_new_cells_and_refuses_other_settings(tmp_path, monkeypatch):
    _pools(tmp_path / "gen", "fakegan", "synthetic", CLASSES, 40, (8, 8, 3))
    cfg = _lesion_cfg(tmp_path, image_size=8, limit=15)
    run_lesions(cfg, progress=False)
    calls = []
    real_cell = lesions_mod.lesion_cell
    monkeypatch.setattr(
        lesions_mod, "lesion_cell", lambda cell, run: calls.append(cell.key) or real_cell(cell, run)
    )
    run_lesions(dataclasses.replace(cfg, seeds="0,1"), progress=False)
    assert sorted(calls) == sorted(
        ["none|0.000000|1", "classical|0.000000|1", "fakegan|0.500000|1"]
    )
    calls.clear()
    run_lesions(dataclasses.replace(cfg, seeds="0,1"), progress=False)
    assert calls == []
    _pools(tmp_path / "gen", "othergan", "synthetic", CLASSES, 40, (8, 8, 3), seed=2)
    table = run_lesions(
        dataclasses.replace(cfg, seeds="0,1", models="fakegan,othergan"), progress=False
    )
    assert calls == ["othergan|0.500000|0", "othergan|0.500000|1"]
    text = table.read_text()  # the resumed run gathered othergan only; both are described
    assert "- fakegan generated images: " in text and "- othergan generated images: " in text
    quality = text[text.index("## Generated images against the real test images") :]
    assert "| fakegan |" in quality and "| othergan |" in quality
    quiet = dataclasses.replace(cfg, seeds="0,1", models="fakegan,othergan", quality_n=0)
    assert "## Generated images" not in run_lesions(quiet, progress=False).read_text()
    with pytest.raises(AugmentError, match=r"epochs=1 \(now 2\)"):
        run_lesions(dataclasses.replace(cfg, epochs=2), progress=False)


def test_lesions_score_a_pool_once_until_its_images_change(tmp_path, monkeypatch):
    _pools(tmp_path / "gen", "fakegan", "synthetic", CLASSES, 40, (8, 8, 3))
    cfg = _lesion_cfg(tmp_path, image_size=8, limit=15)
    run_lesions(cfg, progress=False)
    first = json.loads((tmp_path / "out" / "quality.json").read_text())["records"]
    scored = []
    real_metrics = scoring.image_metrics

    def spy(images, reals, settings):
        scored.append(len(images))
        return real_metrics(images, reals, settings)

    monkeypatch.setattr(scoring, "image_metrics", spy)
    run_lesions(dataclasses.replace(cfg, seeds="0,1"), progress=False)  # new cells, same pools
    assert scored == []
    assert json.loads((tmp_path / "out" / "quality.json").read_text())["records"] == first
    npz = tmp_path / "gen" / "fakegan-synthetic-NV" / "samples.npz"
    images = np.load(npz)["images"]
    np.savez(npz, images=255 - images)  # another generator's NV images, the same count
    run_lesions(dataclasses.replace(cfg, seeds="0,1,2"), progress=False)
    assert scored == [40]  # fakegan/NV only: the other pools and the floor are unchanged
    records = json.loads((tmp_path / "out" / "quality.json").read_text())["records"]
    assert records["fakegan/NV"]["scores_key"] != first["fakegan/NV"]["scores_key"]
    assert records["fakegan/NV"]["fid"] != first["fakegan/NV"]["fid"]
    assert {k: v for k, v in records.items() if k != "fakegan/NV"} == {
        k: v for k, v in first.items() if k != "fakegan/NV"
    }


def test_lesions_refine_the_best_alphas_with_resnet18_on_the_same_seeds(tmp_path):
    _pools(tmp_path / "gen", "fakegan", "synthetic", CLASSES, 40, (16, 16, 3))
    cfg = _lesion_cfg(tmp_path, alphas="0,0.3,0.5", seeds="0,1", quality_n=0)
    run_lesions(cfg, progress=False)  # the sweep, then its refinement split by seed
    cfg = dataclasses.replace(cfg, refine_classifier="resnet18", refine_top=1)
    run_lesions(dataclasses.replace(cfg, seeds="1"), progress=False)
    table = run_lesions(cfg, progress=False)
    records = [json.loads(x) for x in (tmp_path / "out" / "cells.jsonl").read_text().splitlines()]
    sweep = [r for r in records if r["row"] == "fakegan"]
    mean = {a: np.mean([r["macro_recall"] for r in sweep if r["alpha"] == a]) for a in (0.3, 0.5)}
    best = max(mean, key=lambda a: (mean[a], -a))  # independent of tables.best_alphas
    refined = [r for r in records if "@" in r["row"]]
    assert sorted((r["row"], r["alpha"], r["seed"]) for r in refined) == [
        ("fakegan@resnet18", best, 0),
        ("fakegan@resnet18", best, 1),
        ("none@resnet18", 0.0, 0),
        ("none@resnet18", 0.0, 1),
    ]
    assert all(r["classifier"] == "resnet18" for r in refined)
    twin = next(r for r in sweep if r["alpha"] == best and r["seed"] == 0)
    mine = next(r for r in refined if r["row"] == "fakegan@resnet18" and r["seed"] == 0)
    assert mine["generated_per_class"] == twin["generated_per_class"]
    text = table.read_text()
    assert "## Retrained with another classifier" in text and "| fakegan (resnet18) |" in text
    assert "| no augmentation (resnet18) | 0 | 0 | 2 |" in text
    n = len(records)
    run_lesions(cfg, progress=False)  # resumes: nothing new
    assert len((tmp_path / "out" / "cells.jsonl").read_text().splitlines()) == n


def test_a_refine_run_of_some_seeds_picks_the_alphas_of_every_seed_in_the_folder(tmp_path):
    # seed 1 alone prefers 0.5; seeds 0 and 1 together prefer 0.3 (and 0.7 is not swept now)
    recall = {(0.3, 0): 0.9, (0.3, 1): 0.5, (0.5, 0): 0.4, (0.5, 1): 0.6, (0.7, 0): 1.0}
    records = [
        {"row": "m", "alpha": a, "seed": seed, "macro_recall": r} for (a, seed), r in recall.items()
    ]
    records.append({"row": "m@resnet18", "alpha": 0.5, "seed": 0, "macro_recall": 1.0})
    cfg = _lesion_cfg(tmp_path, models="m", alphas="0,0.3,0.5", seeds="1")
    cfg = dataclasses.replace(cfg, refine_classifier="resnet18", refine_top=1)
    assert [(c.row, c.alpha, c.seed) for c in lesions_mod.refine_plan(cfg, records)] == [
        ("none@resnet18", 0.0, 1),
        ("m@resnet18", 0.3, 1),
    ]


def test_lesions_refuse_a_missing_class_and_a_pool_too_small(tmp_path):
    _pools(tmp_path / "gen", "fakegan", "synthetic", ("MEL", "NV"), 40, (16, 16, 3))
    with pytest.raises(AugmentError, match="model 'fakegan' class 'BCC'"):
        run_lesions(_lesion_cfg(tmp_path), progress=False)
    _pools(tmp_path / "gen", "fakegan", "synthetic", ("BCC",), 5, (16, 16, 3))
    # a folder without finished cells takes other settings (the failed run left only config)
    with pytest.raises(AugmentError, match="BCC: alpha 0.5 needs 12 generated images"):
        run_lesions(_lesion_cfg(tmp_path, epochs=2), progress=False)


def test_lesions_refuse_a_gan_that_trained_on_test_images(tmp_path):
    _pools(tmp_path / "gen", "fakegan", "synthetic", CLASSES, 40, (16, 16, 3))
    _, test, split = load_train_test(DataConfig("synthetic", classes=CLASSES, size=16, limit=30))
    leaky = dataclasses.replace(split, train_ids=split.train_ids + (test.image_ids[0],))
    run = tmp_path / "gen" / "fakegan-synthetic-NV"
    save_split(leaky, run)
    ckpt = str(run / "last.pt")  # the npz names its checkpoint; split.json lies beside it
    images = np.load(run / "samples.npz")["images"]
    np.savez(run / "samples.npz", images=images, checkpoint=ckpt)
    with pytest.raises(AugmentError, match="fakegan NV generator trained on 1 test images"):
        run_lesions(_lesion_cfg(tmp_path), progress=False)


# ----------------------------------------------------------------------------- digits
# A digit study of seconds: 6 training and 4 validation digits a class, a 3-qubit HQCNN.
DIGITS = {"n_train": 6, "n_val": 4, "test_fraction": 0.3, "n_generated": 4, "rounds": 2}
DIGITS |= {"n_qubits": 3, "n_layers": 1, "channels": 2, "batch_size": 12}


def _digit_cfg(tmp_path, **kw) -> DigitConfig:
    return _experiment(DigitConfig, tmp_path, DIGITS | {"data_root": str(tmp_path / "data")}, kw)


def test_digits_end_to_end_every_row(tmp_path, monkeypatch, mnist_bars):
    mnist_bars(tmp_path / "data" / "mnist")
    _pools(tmp_path / "gen", "hybridq", "mnist", "012", 20, (28, 28))
    _pools(tmp_path / "gen", "dcgan", "mnist", "012", 20, (28, 28, 1), seed=1)
    checks = []
    real = digits_mod.assert_disjoint
    monkeypatch.setattr(
        digits_mod, "assert_disjoint", lambda a, b, w="": checks.append((a, b)) or real(a, b, w)
    )
    table = run_digits(_digit_cfg(tmp_path), progress=False)
    records = {
        r["row"]: r
        for r in map(json.loads, (tmp_path / "out" / "cells.jsonl").read_text().splitlines())
    }
    assert list(records) == list(_digit_cfg(tmp_path).row_names)
    assert records["none"]["n_generated"] == 0 and records["none"]["n_real"] == 18
    for row in ("rotation", "dcgan-general", "qgan-general"):
        assert records[row]["n_generated"] == 12
    for row in ("qgan-customized", "qgan-customized-even"):
        rounds = records[row]["rounds"]
        assert len(rounds) == 2 and [sum(r["allocated"]) for r in rounds] == [6, 6]
        assert records[row]["n_generated"] == sum(sum(r["kept"]) for r in rounds) <= 12
    assert all(len(set(r["allocated"])) == 1 for r in records["qgan-customized-even"]["rounds"])
    assert records["none"]["parameters"]["quantum"] == 2 * 3 * 1
    for train_ids, test_ids in checks:  # train and validation draws vs the test side
        assert test_ids and not set(train_ids) & set(test_ids)
        assert all(i.startswith("t10k_") for i in train_ids)  # real images only
    text = table.read_text()
    assert "QGAN-customized, errors evened (ablation)" in text and "round by round" in text
    accepted = text[text.index("## Confidence filter") : text.index("## Customized strategy")]
    for row in ("qgan-customized", "qgan-customized-even"):
        for i, rnd in enumerate(records[row]["rounds"]):  # one seed: the sums are this seed's
            cells = [f"{k} of {e}" for k, e in zip(rnd["kept"], rnd["examined"], strict=True)]
            line = next(
                x for x in accepted.splitlines() if x.startswith(f"| {display(row)} | {i + 1} |")
            )
            assert all(c in line for c in cells), line
    header = "| median Δ vs none | Wilcoxon p | wins/ties/losses | collapses |"
    assert header in text and "| — | — | — |" in text  # the reference row is not paired with itself
    assert "(n<6)" in text  # one seed: the p-value is flagged as unable to reach 0.05
    quality = text[text.index("## Generated images against the real test images") :]
    assert "| images | Inception FID 0 | Inception FID 1 | Inception FID 2 |" in quality
    assert "| DCGAN |" in quality and "| HybridQ |" in quality and f"| {FLOOR} |" in quality
    assert "seeds: 1 (0)" in text and "1 epochs" in text and "6 per class" in text


def test_digits_refuse_a_pool_smaller_than_the_general_strategy_needs(tmp_path, mnist_bars):
    mnist_bars(tmp_path / "data" / "mnist")
    _pools(tmp_path / "gen", "dcgan", "mnist", "012", 3, (28, 28))
    with pytest.raises(AugmentError, match="dcgan digit 0: .* holds 3 images, --n-generated asks"):
        run_digits(_digit_cfg(tmp_path, rows="dcgan-general"), progress=False)


def test_digits_without_gans_run_the_reference_rows(tmp_path, mnist_bars):
    mnist_bars(tmp_path / "data" / "mnist")
    run_digits(_digit_cfg(tmp_path, rows="none,rotation", generated=""), progress=False)
    assert len((tmp_path / "out" / "cells.jsonl").read_text().splitlines()) == 2


def test_cli_errors_are_one_line(tmp_path, capsys, mnist_bars):
    with pytest.raises(SystemExit, match="^error: unknown --rows 'bogus'; choose one of none,"):
        main(["digits", "--rows", "none,bogus"])
    mnist_bars(tmp_path / "data" / "mnist")
    argv = ["digits", "--data-root", str(tmp_path / "data"), "--rows", "qgan-general"]
    with pytest.raises(SystemExit, match="^error: no generated images for model 'hybridq'"):
        main(argv + ["--out", str(tmp_path / "o")])
    main(["lesions", "--dry-run", "--seeds", "4"])
    assert json.loads(capsys.readouterr().out)["seeds"] == "4"


def _gan_trained_on(tmp_path, models, per_class: int) -> frozenset[str]:
    """Give every digit pool a split.json naming ``per_class`` training images per digit, as
    ``qgan.train --train-per-class`` writes it (its split: test fraction 0.2); returns them."""

    cfg = TrainConfig(
        dataset="mnist",
        data_root=str(tmp_path / "data"),
        classes="0,1,2",
        image_size=28,
        train_per_class=per_class,
    ).resolved()
    _, split = training_side(cfg)
    for model in models:
        for digit in "012":
            run = tmp_path / "gen" / f"{model}-mnist-{digit}"
            save_split(split, run)
            images = np.load(run / "samples.npz")["images"]
            np.savez(run / "samples.npz", images=images, checkpoint=str(run / "last.pt"))
    return frozenset(split.train_ids)


def test_digits_real_gan_trains_every_seed_on_the_gans_own_images(
    tmp_path, monkeypatch, mnist_bars
):
    mnist_bars(tmp_path / "data" / "mnist")
    _pools(tmp_path / "gen", "hybridq", "mnist", "012", 20, (28, 28))
    _pools(tmp_path / "gen", "dcgan", "mnist", "012", 20, (28, 28), seed=1)
    gan_ids = _gan_trained_on(tmp_path, ("hybridq", "dcgan"), per_class=6)
    draws = []
    real = digits_mod.draw_real
    monkeypatch.setattr(
        digits_mod, "draw_real", lambda *a: (lambda r: draws.append(r) or r)(real(*a))
    )
    rows = "none,qgan-general,qgan-customized"
    table = run_digits(
        _digit_cfg(tmp_path, rows=rows, seeds="0,1", real="gan", test_fraction=0.2), progress=False
    )
    assert len(draws) == 6 and len(gan_ids) == 18
    for train, val in draws:
        assert set(train.image_ids.astype(str)) == gan_ids  # the same 18 images every seed
        assert not set(val.image_ids.astype(str)) & gan_ids and len(val) == 12
    assert {tuple(sorted(v.image_ids)) for _, v in draws[:3]} != {
        tuple(sorted(v.image_ids)) for _, v in draws[3:]
    }  # validation is still drawn per seed
    assert "exactly the images the digit GANs trained on" in table.read_text()


def test_digits_real_gan_refuses_gans_of_other_images_or_sizes(tmp_path, mnist_bars):
    mnist_bars(tmp_path / "data" / "mnist")
    _pools(tmp_path / "gen", "hybridq", "mnist", "012", 20, (28, 28))
    _pools(tmp_path / "gen", "dcgan", "mnist", "012", 20, (28, 28), seed=1)
    cfg = _digit_cfg(tmp_path, rows="none,dcgan-general", real="gan", test_fraction=0.2)
    with pytest.raises(AugmentError, match="has no split.json naming its training images"):
        run_digits(cfg, progress=False)
    _gan_trained_on(tmp_path, ("hybridq",), per_class=6)
    _gan_trained_on(tmp_path, ("dcgan",), per_class=7)
    with pytest.raises(AugmentError, match="the digit GANs trained on different images"):
        run_digits(cfg, progress=False)
    _gan_trained_on(tmp_path, ("hybridq", "dcgan"), per_class=5)
    with pytest.raises(AugmentError, match="trained on 5 images of digit 0, --n-train is 6"):
        run_digits(cfg, progress=False)


def test_steps_give_every_row_the_same_training_length(tmp_path):
    from qgan.augmentation.digits import hqcnn_epochs

    cfg = _digit_cfg(tmp_path, batch_size=16)
    assert hqcnn_epochs(cfg, 60) == cfg.epochs  # --steps 0: --epochs passes
    even = dataclasses.replace(cfg, steps=40)
    assert hqcnn_epochs(even, 60) == 10  # 4 steps an epoch
    assert hqcnn_epochs(even, 360) == 2  # 23 steps an epoch: 46 >= 40
    assert hqcnn_epochs(dataclasses.replace(cfg, steps=1), 360) == 1


def test_digit_collapse_threshold_is_a_flag_of_the_table(tmp_path, mnist_bars):
    mnist_bars(tmp_path / "data" / "mnist")
    cfg = _digit_cfg(tmp_path, rows="none", generated="", quality_n=0, collapse_below=1.01)
    text = run_digits(cfg, progress=False).read_text()
    assert "| 1 of 1 |" in text and "ended below 1.01" in text  # every fit is below 1.01


def test_digits_refuse_a_folder_of_cells_from_the_old_hqcnn(tmp_path, mnist_bars):
    mnist_bars(tmp_path / "data" / "mnist")
    cfg = _digit_cfg(tmp_path, rows="none", generated="", quality_n=0)
    run_digits(cfg, progress=False)
    cells = tmp_path / "out" / "cells.jsonl"
    old = json.loads(cells.read_text())
    del old["best_epoch"]
    cells.write_text(json.dumps(old) + "\n")
    with pytest.raises(AugmentError, match="1 cells of the HQCNN before issue 15"):
        run_digits(cfg, progress=False)
