"""Run configurations of the two augmentation experiments, as frozen dataclasses.

``python -m qgan.augment lesions|digits`` generates one ``--kebab-case`` flag per field
(``qgan.config``); lists are comma-separated strings so that every flag has a plain type. Both
read their real images through the data section every command shares
(``qgan.data.section.DataSection``: the GANs' split, with the same flags), and share the flags of
``ExperimentSection``. The resolved config is written to the output folder before any cell runs,
and a rerun in the same folder must agree with it on every field that changes a cell's result.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from qgan.config import check_at_least, check_choice, opt, parse_list, write_config
from qgan.data.section import DataSection
from qgan.evaluation.config import NetworkSection

CLASSIFIERS = ("resnet50", "resnet18", "smallcnn")
SELECT_BY = ("accuracy", "macro_precision", "macro_recall")
DIGIT_ROWS = (
    "none",
    "rotation",
    "dcgan-general",
    "qgan-general",
    "qgan-customized",
    "qgan-customized-even",
)
REAL_SOURCES = ("draw", "gan")


class AugmentError(ValueError):
    """Bad input to an augmentation run; the message is one line and says what to do."""


@dataclass(frozen=True)
class ExperimentSection(DataSection, NetworkSection):
    """The flags both experiments share: the real data (the GANs' split), where the generated
    images come from, the seeds, and the networks that score the generated pools."""

    generated: str = opt("", "folder of <model>-<dataset>-<class>/ run or sample folders")
    generated_map: str = opt("", "JSON {model: {class: samples.npz | run folder | .pt}}")
    seeds: str = opt("0,1,2", "seeds of the real draw, generated draw, weights and batches")
    threads: int = opt(0, "torch CPU threads (0: torch's default; 1 is faster on a busy machine)")
    quality_n: int = opt(
        1000,
        "generated images per model and class scored against the real test images "
        "(Inception FID/KID, derm-FID/KID; 0: no image-quality table)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        check_at_least(self, {"quality_n": 0})
        if not self.seed_values:
            raise AugmentError("--seeds lists no seed; give e.g. --seeds 0,1,2")

    @property
    def seed_values(self) -> tuple[int, ...]:
        return parse_list(self.seeds, int, "--seeds")


@dataclass(frozen=True)
class LesionConfig(ExperimentSection):
    """HybridQ Table 2 / Fig. 4b: a classifier on 10% real lesions + a share alpha generated."""

    fraction: float = opt(0.1, "share of the real training split the classifier gets (paper)")
    alphas: str = opt(
        "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9", "mixing ratios: share of generated images"
    )
    models: str = opt("dcgan,mosaiq,hybridq", "generative models to compare ('' for none)")
    balance: bool = opt(False, "even out generated images over classes (default: real shares)")
    allow_repeats: bool = opt(False, "reuse generated images when a pool is too small")
    sample_batch: int = opt(64, "images per generator call when sampling from a checkpoint")
    classifier: str = opt("resnet50", f"classifier: {' | '.join(CLASSIFIERS)}")
    pretrained: str = opt("auto", "ImageNet weights: auto (torch hub cache) | none | PATH")
    epochs: int = opt(10, "classifier training epochs per cell")
    batch_size: int = opt(32, "images per classifier step")
    lr: float = opt(1e-3, "Adam learning rate (the paper fine-tunes with 1e-3)")
    select_by: str = opt("macro_recall", f"metric that picks a model's best alpha: {SELECT_BY}")
    refine_classifier: str = opt(
        "",
        "after the sweep, retrain no augmentation and each model's --refine-top best alphas "
        "(over every seed in --out) with this classifier on the same seeds ('' for none; "
        f"{' | '.join(CLASSIFIERS)})",
    )
    refine_top: int = opt(3, "how many of each model's best alphas --refine-classifier retrains")
    out: str = opt("results/augment/lesions", "output folder: cells.jsonl, table2.md/.csv, plot")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("--classifier", self.classifier, CLASSIFIERS)
        check_choice("--select-by", self.select_by, SELECT_BY)
        if self.refine_classifier:
            check_choice("--refine-classifier", self.refine_classifier, CLASSIFIERS)
        if not 0.0 < self.fraction <= 1.0:
            raise AugmentError(f"--fraction must lie in (0, 1], got {self.fraction}")
        bad = [a for a in self.alpha_values if not 0.0 <= a < 1.0]
        if bad:
            raise AugmentError(f"--alphas must lie in [0, 1) (1 would leave no real image): {bad}")
        check_at_least(self, {"epochs": 1, "batch_size": 1, "sample_batch": 1, "refine_top": 1})

    @property
    def alpha_values(self) -> tuple[float, ...]:
        return parse_list(self.alphas, float, "--alphas")

    @property
    def model_names(self) -> tuple[str, ...]:
        return parse_list(self.models)


@dataclass(frozen=True)
class DigitConfig(ExperimentSection):
    """arXiv:2505.24780: an HQCNN on MNIST 0/1/2, general and customized QGAN augmentation."""

    dataset: str = opt("mnist", "data set: mnist (the HQCNN study's)")
    classes: str = opt("0,1,2", "digit classes, comma-separated (the paper: 0,1,2)")
    image_size: int = opt(28, "images are resized to this many pixels a side (MNIST's 28)")
    n_train: int = opt(100, "real training images per class (the paper: 100)")
    real: str = opt(
        "draw",
        "where the real training images come from: draw (a seeded draw per seed) | gan "
        "(exactly the images the digit GANs trained on, as the paper: train them with "
        "--train-per-class N_TRAIN)",
    )
    n_val: int = opt(
        50, "real validation images per class: best epoch of every fit, customized errors"
    )
    rows: str = opt(",".join(DIGIT_ROWS), f"rows to run, from: {', '.join(DIGIT_ROWS)}")
    qgan_model: str = opt("hybridq", "model name of the quantum GAN runs (<model>-mnist-<d>)")
    dcgan_model: str = opt("dcgan", "model name of the classical GAN runs")
    n_generated: int = opt(100, "generated (or rotated) images added per class, general strategy")
    rounds: int = opt(2, "customized strategy: rounds of measure errors -> add -> retrain")
    threshold_low: float = opt(0.5, "confidence threshold of a class the HQCNN always gets wrong")
    threshold_high: float = opt(0.9, "confidence threshold of a class it always gets right")
    rotation_degrees: float = opt(15.0, "rotation row: angles drawn uniformly in +-this")
    n_qubits: int = opt(4, "qubits of the HQCNN's variational circuit")
    n_layers: int = opt(2, "layers [RY, RZ, CNOT ring] of the HQCNN's circuit")
    channels: int = opt(4, "output channels of the HQCNN's 3x3 convolution")
    epochs: int = opt(10, "HQCNN training epochs per fit")
    steps: int = opt(
        0,
        "HQCNN optimizer steps per fit, in whole epochs (at least this many steps; 0: --epochs "
        "passes): the same training length for every row, so that a row with more images is not "
        "simply trained longer",
    )
    batch_size: int = opt(16, "images per HQCNN step")
    lr: float = opt(0.01, "Adam learning rate of the HQCNN (classical and quantum weights)")
    collapse_below: float = opt(
        0.8, "a fit whose test accuracy ends below this counts as collapsed (3 digits: 0.8)"
    )
    out: str = opt("results/augment/digits", "output folder: cells.jsonl, table_hqcnn.md/.csv")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("--dataset", self.dataset, ("mnist",))
        for row in self.row_names:
            check_choice("--rows", row, DIGIT_ROWS)
        check_choice("--real", self.real, REAL_SOURCES)
        if not 0.0 <= self.threshold_low <= self.threshold_high <= 1.0:
            raise AugmentError("need 0 <= --threshold-low <= --threshold-high <= 1")
        positive = ("n_train", "epochs", "batch_size", "rounds", "n_qubits", "n_layers", "channels")
        check_at_least(
            self, dict.fromkeys(positive, 1) | {"n_generated": 0, "n_val": 0, "steps": 0}
        )

    @property
    def row_names(self) -> tuple[str, ...]:
        return parse_list(self.rows)


# Fields that do not change a finished cell's numbers: a rerun may change them freely (add seeds,
# alphas, models or rows to a sweep; move the generated images; pick the best alpha otherwise).
_FREE_FIELDS = {
    "out",
    "seeds",
    "alphas",
    "models",
    "rows",
    "generated",
    "generated_map",
    "select_by",
    "collapse_below",  # a table threshold, no cell's number
    "refine_classifier",  # its cells are rows of their own ("hybridq@resnet18")
    "refine_top",
    "allow_repeats",
    "sample_batch",
    "data_root",
    "threads",
    "quality_n",
    "fid_weights",
    "no_download",
    "no_inception",
    "derm_features",
}


def write_or_check_config(cfg: LesionConfig | DigitConfig, out: Path) -> None:
    """Write ``out/config.json``, or refuse if the folder holds cells made with other settings."""
    path = out / "config.json"
    now = dataclasses.asdict(cfg)
    cells = out / "cells.jsonl"
    if path.exists() and cells.exists() and cells.stat().st_size > 0:
        before = json.loads(path.read_text())
        if "digits" in before:  # a digit run from before the data section named its classes so
            before["classes"] = before.pop("digits")
        changed = sorted(
            k for k in now if k not in _FREE_FIELDS and k in before and before[k] != now[k]
        )
        if changed:
            diffs = ", ".join(f"{k}={before[k]!r} (now {now[k]!r})" for k in changed)
            raise AugmentError(
                f"{out} holds cells made with {diffs}; use a new --out or the same settings"
            )
    write_config(cfg, out)
