"""Every list-valued flag of every CLI answers bad input with one line, never a traceback; the
default classes follow the data set."""

from __future__ import annotations

import pytest

from qgan.augment import main as augment_main
from qgan.config import parse_list
from qgan.data import DATASETS, dataset_classes, default_classes
from qgan.train import parse
from qgan.training.config import TrainConfig


def _bench(name: str):
    import importlib

    return importlib.import_module(f"benchmarks.{name}").main


CASES = [
    (augment_main, ["digits", "--seeds", "x", "--dry-run"], "--seeds takes comma-separated int"),
    (augment_main, ["digits", "--seeds", "1,,2.5", "--dry-run"], "got '2.5' in '1,,2.5'"),
    (augment_main, ["lesions", "--seeds", "0,a", "--dry-run"], "--seeds takes comma-separated"),
    (augment_main, ["lesions", "--alphas", "0.1,half", "--dry-run"], "--alphas takes comma-sep"),
    (augment_main, ["digits", "--rows", "none,nope", "--dry-run"], "unknown --rows 'nope'"),
    ("quantum_step", ["--sims", "engine,warp"], "--sims takes settings from engine"),
    ("transpile_bench", ["--levels", "1,x"], "--levels takes comma-separated integers"),
    ("transpile_bench", ["--levels", "4"], "--levels takes optimization levels 0-3"),
    ("transpile_bench", ["--modes", "wide,tall"], "--modes takes wide and/or separate"),
    ("mitigation_bench", ["--scale-factors", "1,x"], "--scale-factors takes comma-separated num"),
    ("mitigation_bench", ["--extrapolators", "linear,cubic"], "got 'cubic'"),
]


@pytest.mark.parametrize("main, argv, message", CASES, ids=[" ".join(c[1]) for c in CASES])
def test_bad_list_flags_exit_with_one_line(main, argv, message, capsys):
    main = _bench(main) if isinstance(main, str) else main
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err.strip()
    # argparse's own errors (code 2) print usage, then one "error:" line; ours exit with it
    text = str(exc.value.code) if exc.value.code != 2 else err.splitlines()[-1]
    assert message in text and "\n" not in text and "Traceback" not in err


def test_parse_list_reads_what_it_is_given():
    assert parse_list(" 0, 1,,2 ", int, "--x") == (0, 1, 2)
    assert parse_list("0.5,1e-1", float) == (0.5, 0.1)
    assert parse_list("MEL, NV") == ("MEL", "NV") and parse_list("") == ()


def test_the_data_package_knows_every_data_sets_classes():
    for dataset, entry in DATASETS.items():
        assert dataset_classes(dataset) == entry.classes and len(set(entry.classes)) > 1
    assert dataset_classes("isic2019") == ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC")
    assert dataset_classes("ham10000") == ("AKIEC", "BCC", "BKL", "DF", "MEL", "NV", "VASC")
    assert dataset_classes("mnist") == tuple("0123456789")
    assert default_classes("isic2019") == default_classes("synthetic") == ("MEL", "NV", "BCC")
    assert default_classes("ham10000") == ("MEL", "NV", "BCC")
    assert default_classes("fitzpatrick17k") == ("benign", "malignant", "non-neoplastic")


@pytest.mark.parametrize(
    "argv, classes, cls",
    [
        (
            ["--dataset", "fitzpatrick17k", "--cls", "malignant"],
            "benign,malignant,non-neoplastic",
            "malignant",
        ),
        (["--dataset", "fitzpatrick17k"], "benign,malignant,non-neoplastic", "benign"),
        (["--dataset", "mnist"], "0,1,2,3,4,5,6,7,8,9", "0"),
        (["--dataset", "isic2019"], "MEL,NV,BCC", "MEL"),
        (["--dataset", "synthetic", "--classes", "NV,BCC"], "NV,BCC", "NV"),
    ],
)
def test_default_classes_and_class_follow_the_data_set(argv, classes, cls):
    cfg = parse(argv).resolved()
    assert (cfg.classes, cfg.cls) == (classes, cls)
    assert cfg.data_config().classes == tuple(classes.split(","))


def test_fitzpatrick_malignant_no_longer_meets_isic_classes(tmp_path, capsys):
    from qgan.train import main

    with pytest.raises(SystemExit) as exc:  # no Fitzpatrick17k images here: a data error
        main(["--dataset", "fitzpatrick17k", "--cls", "malignant", "--data-root", str(tmp_path)])
    assert "unknown class" not in str(exc.value.code) and "fitzpatrick17k" in str(exc.value.code)
    assert TrainConfig().resolved().cls == "MEL"  # the default run is unchanged
