"""arXiv:2505.24780: the HQCNN on MNIST 0/1/2 with general and customized QGAN augmentation.

Data, per seed: from the training side of a seeded split (the split the digit GANs trained on),
``n_train`` real images per class to train on and ``n_val`` per class that pick each fit's best
epoch and measure the HQCNN's errors for the customized strategy (no row trains on them); the
test set is the whole held-out side, the same for every cell. With ``real="gan"`` the real
training images are exactly the ones the digit GANs trained on (``python -m qgan.train
--train-per-class``, read from their ``split.json``), the same for every seed, as in the paper,
where the QGAN trains on the classifier's data: generated images then carry no information from
real images the classifier lacks. Rows:

* ``none``: the real images only.
* ``rotation``: plus ``n_generated`` rotated copies per class (random real images of the class,
  angle uniform in +-``rotation_degrees``): the same number of added images as the GAN rows.
* ``dcgan-general`` / ``qgan-general``: plus ``n_generated`` generated images per class.
* ``qgan-customized``: the same total of QGAN images, allocated by the HQCNN's errors and
  filtered by its confidence over ``rounds`` rounds (:mod:`qgan.augmentation.strategies`).
* ``qgan-customized-even``: the customized strategy as if the errors were spread evenly.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from qgan.augmentation.cells import Cell, CellStore, open_experiment, run_cells
from qgan.augmentation.config import AugmentError, DigitConfig
from qgan.augmentation.fit import (
    FitConfig,
    FitResult,
    batches_per_epoch,
    fit,
    predict_proba,
    torch_threads,
)
from qgan.augmentation.hqcnn import HQCNN, HQCNNConfig
from qgan.augmentation.mixing import assert_disjoint, draw_indices
from qgan.augmentation.quality import pool_quality, quality_config
from qgan.augmentation.scores import classification_scores
from qgan.augmentation.sources import Pool, gather_pools, locate, pool_notes
from qgan.augmentation.strategies import CustomizedConfig, customized, general_counts
from qgan.augmentation.tables import write_digit_report
from qgan.augmentation.transforms import rotate
from qgan.data import LesionData, take

CANDIDATES_PER_IMAGE = 4  # checkpoint sources: sample 4x the budget, for the confidence filter


@dataclass(frozen=True, eq=False)
class DigitRun:
    cfg: DigitConfig
    train_side: LesionData  # images the real training and validation draws come from
    test: LesionData
    pools: dict[str, dict[str, Pool]]  # model -> digit -> generated images
    progress: bool = True
    real_ids: frozenset[str] | None = None  # real="gan": the GANs' training images, every seed


def run_digits(cfg: DigitConfig, progress: bool = True) -> Path:
    """Run (or resume) every (row, seed) cell and write ``table_hqcnn.md``; returns its path."""
    with torch_threads(cfg.threads):
        return _run_digits(cfg.resolved(), progress)


def _run_digits(cfg: DigitConfig, progress: bool) -> Path:
    out, train_side, test, store = open_experiment(cfg)
    _refuse_old_cells(store)
    classes = train_side.class_names
    cells = [Cell(row, 0.0, seed) for seed in cfg.seed_values for row in cfg.row_names]
    done = store.done()
    todo = [c for c in cells if c.key not in done]
    pending = {_model_of(cfg, c.row) for c in todo} - {None}
    if cfg.real == "gan" and todo:
        pending.add(cfg.qgan_model)  # its split.json names the real images of every row
    pools = _pools(cfg, classes, sorted(pending), test, out)
    real_ids = gan_real_ids(pools) if cfg.real == "gan" and todo else None
    run = DigitRun(cfg, train_side, test, pools, progress, real_ids)
    records = run_cells(cells, lambda cell: digit_cell(cell, run), store, desc="hqcnn cells")
    notes = _notes(run, records) + pool_notes(pools, out)
    quality = pool_quality(pools, train_side, test, quality_config(cfg), out)
    title = f"HQCNN on MNIST {'/'.join(classes)} (arXiv:2505.24780)"
    return write_digit_report(
        out, records, classes, cfg.row_names, notes, title, quality, cfg.collapse_below
    )


def _refuse_old_cells(store: CellStore) -> None:
    """Cells of the HQCNN before issue 15 (no angle normalisation, no best epoch: they carry no
    ``best_epoch``) would sit in one table with the new model's; refuse the folder instead."""
    old = sum("best_epoch" not in r for r in store.records())
    if old:
        raise AugmentError(
            f"{store.path} holds {old} cells of the HQCNN before issue 15 (unnormalised angles, "
            "last epoch); use a new --out"
        )


def _model_of(cfg: DigitConfig, row: str) -> str | None:
    if row.startswith("qgan-"):
        return cfg.qgan_model
    return cfg.dcgan_model if row.startswith("dcgan-") else None


def _pools(
    cfg: DigitConfig, classes: tuple[str, ...], models: list[str], test: LesionData, out: Path
) -> dict[str, dict[str, Pool]]:
    if not models:
        return {}
    sources = locate(tuple(models), classes, cfg.dataset, cfg.generated, cfg.generated_map)
    n = max(1, cfg.n_generated * CANDIDATES_PER_IMAGE)
    needed = {m: dict.fromkeys(classes, n) for m in models}
    pools = gather_pools(
        sources, needed, out / "generated", cfg.image_size, 1, test.image_ids, seed=cfg.split_seed
    )
    for model, per_class in pools.items():
        for cls, pool in per_class.items():
            if len(pool.images) < cfg.n_generated:
                raise AugmentError(
                    f"{model} digit {cls}: {pool.path} holds {len(pool.images)} images, "
                    f"--n-generated asks for {cfg.n_generated}; sample more or lower it"
                )
    return pools


def gan_real_ids(pools: dict[str, dict[str, Pool]]) -> frozenset[str]:
    """The real images the digit GANs trained on: one set, named by every pool's split.json."""
    seen: dict[frozenset[str], str] = {}
    for model, per_class in pools.items():
        for cls, pool in per_class.items():
            if pool.seen_ids is None:
                raise AugmentError(
                    f"--real gan: {model} digit {cls} ({pool.path}) has no split.json naming "
                    "its training images; give its run folder, or use --real draw"
                )
            seen.setdefault(pool.seen_ids, f"{model} digit {cls}")
    if len(seen) != 1:
        raise AugmentError(
            f"--real gan: the digit GANs trained on different images ({', '.join(seen.values())}"
            "); train them all with the same --seed and --train-per-class"
        )
    return next(iter(seen))


def draw_real(
    data: LesionData, n_train: int, n_val: int, seed: int, fixed: frozenset[str] | None = None
) -> tuple[LesionData, LesionData]:
    """Disjoint training and validation draws, ``n_train`` and ``n_val`` per class, seeded.

    ``fixed``: the training images are these ids (exactly ``n_train`` per class); only the
    validation images are drawn, from the rest.
    """
    rng = np.random.default_rng(seed)
    fixed_mask = np.isin(data.image_ids.astype(str), sorted(fixed or ()))
    train, val = [], []
    for label, name in enumerate(data.class_names):
        members = rng.permutation(np.flatnonzero(data.labels == label))
        if fixed is not None:
            chosen, rest = members[fixed_mask[members]], members[~fixed_mask[members]]
            if len(chosen) != n_train:
                raise AugmentError(
                    f"--real gan: the digit GANs trained on {len(chosen)} images of digit {name}"
                    f", --n-train is {n_train}; make them agree (qgan.train --train-per-class)"
                )
            members = np.concatenate([chosen, rest])
        if len(members) < n_train + n_val:
            raise AugmentError(
                f"digit {name}: {len(members)} training-side images, {n_train}+{n_val} wanted; "
                "lower --n-train/--n-val or --test-fraction"
            )
        train.append(members[:n_train])
        val.append(members[n_train : n_train + n_val])
    return take(data, np.sort(np.concatenate(train))), take(data, np.sort(np.concatenate(val)))


def digit_cell(cell: Cell, run: DigitRun) -> dict:
    """Train the HQCNN of one (row, seed) and score it on the real test set."""
    cfg, classes = run.cfg, run.train_side.class_names
    train, val = draw_real(run.train_side, cfg.n_train, cfg.n_val, cell.seed, run.real_ids)
    for part in (train, val):
        assert_disjoint(part.image_ids.tolist(), run.test.image_ids.tolist(), cell.key)
    x, y = train.tensor(), torch.from_numpy(train.labels)
    n_classes = len(classes)
    real_val = (val.tensor(), torch.from_numpy(val.labels))
    best_epochs: list[int | None] = []  # per fit, the epoch whose weights it kept

    def fit_fn(x: torch.Tensor, y: torch.Tensor) -> HQCNN:
        model, result = train_hqcnn(
            x, y, cfg, n_classes, cell.seed, run.progress, cell.key, real_val
        )
        best_epochs.append(result.best_epoch)
        return model

    record: dict = {}
    if cell.row in ("none", "rotation") or cell.row.endswith("-general"):
        extra_x, extra_y = _extra(cell, run, train)
        model = fit_fn(torch.cat([x, extra_x]), torch.cat([y, extra_y]))
        added = len(extra_y)
    else:
        pools = [_pool_tensor(run, cell.row, c) for c in classes]
        strategy = CustomizedConfig(
            cfg.n_generated * n_classes,
            cfg.rounds,
            cfg.threshold_low,
            cfg.threshold_high,
            evened=cell.row.endswith("-even"),
            seed=cell.seed,
        )
        result = customized(fit_fn, predict_proba, (x, y), real_val, pools, strategy)
        model, added, record["rounds"] = result.model, len(result.y) - len(y), result.log
    predicted = predict_proba(model, run.test.tensor()).argmax(axis=1)
    record.update(classification_scores(run.test.labels, predicted, classes))
    record.update(n_real=len(train), n_generated=added, parameters=model.parameter_counts())
    record["best_epoch"] = best_epochs[-1]  # of the fit scored; None: n_val 0, the last epoch
    return record


def _extra(cell: Cell, run: DigitRun, train: LesionData) -> tuple[torch.Tensor, torch.Tensor]:
    """The images a non-customized row adds: none, rotated copies, or generated ones."""
    cfg, classes = run.cfg, train.class_names
    if cell.row == "none":
        side = cfg.image_size
        return torch.zeros((0, 1, side, side)), torch.zeros(0, dtype=torch.long)
    xs, ys = [], []
    counts = general_counts(cfg.n_generated, len(classes))
    for label, cls in enumerate(classes):
        rng = np.random.default_rng([cell.seed, label, zlib.crc32(cell.row.encode())])
        if cell.row == "rotation":
            members = np.flatnonzero(train.labels == label)
            source = train.tensor()[rng.choice(members, size=int(counts[label]))]
            angles = rng.uniform(-cfg.rotation_degrees, cfg.rotation_degrees, len(source))
            xs.append(rotate(source, torch.as_tensor(angles, dtype=torch.float32)))
        else:
            pool = _pool_tensor(run, cell.row, cls)
            xs.append(pool[draw_indices(len(pool), int(counts[label]), rng, repeats=False)])
        ys.append(torch.full((int(counts[label]),), label, dtype=torch.long))
    return torch.cat(xs), torch.cat(ys)


def _pool_tensor(run: DigitRun, row: str, cls: str) -> torch.Tensor:
    """A row's generated images of class ``cls`` as float (N, 1, 28, 28) in [-1, 1]."""
    from qgan.data.core import to_tensor

    return to_tensor(run.pools[_model_of(run.cfg, row)][cls].images)


def train_hqcnn(
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: DigitConfig,
    n_classes: int,
    seed: int,
    progress: bool = True,
    desc: str = "hqcnn",
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[HQCNN, FitResult]:
    """A fresh HQCNN (seeded) trained on ``x`` (N, 1, 28, 28), ``y`` (N,); with ``val``, the
    weights of its best validation epoch (``qgan.augmentation.fit``)."""
    model = HQCNN(
        HQCNNConfig(n_classes, cfg.n_qubits, cfg.n_layers, cfg.channels, cfg.image_size, seed=seed)
    )
    fit_cfg = FitConfig(hqcnn_epochs(cfg, len(x)), cfg.batch_size, cfg.lr, seed, progress)
    return model, fit(model, x, y, fit_cfg, desc=desc, val=val)


def hqcnn_epochs(cfg: DigitConfig, n_images: int) -> int:
    """``--epochs``, or with ``--steps`` the fewest whole epochs of ``n_images`` that make at
    least that many optimizer steps (measured: at 20 real images per class and 10 epochs the
    no-augmentation fits still improve at their last epoch, while a row adding 100 images per
    class takes 6x the steps)."""
    if cfg.steps == 0:
        return cfg.epochs
    return max(1, -(-cfg.steps // batches_per_epoch(n_images, cfg.batch_size)))


def _length(cfg: DigitConfig) -> str:
    if cfg.steps:
        return f"at least {cfg.steps} steps in whole epochs (every row trains as long)"
    return f"{cfg.epochs} epochs"


def _notes(run: DigitRun, records: list[dict]) -> list[str]:
    cfg = run.cfg
    shape = HQCNNConfig(
        len(run.test.class_names), cfg.n_qubits, cfg.n_layers, cfg.channels, cfg.image_size
    )
    params = HQCNN(shape).parameter_counts()
    seeds = sorted({int(r["seed"]) for r in records})
    minutes = sum(r.get("seconds", 0.0) for r in records) / 60
    test = ", ".join(f"{c}: {n}" for c, n in run.test.counts().items())
    draws, source = "real images", " (a fresh draw per seed)"
    if cfg.real == "gan":
        draws = "validation images"
        source = ", exactly the images the digit GANs trained on (the same for every seed)"
    return [
        f"HQCNN: 3x3 conv ({cfg.channels} channels), 2x2 max-pool, ReLU, linear -> "
        f"{cfg.n_qubits} angles, batch norm, {cfg.n_layers} x [RY, RZ, CNOT ring], <Z> -> "
        "linear -> logits; "
        f"{params['classical']} classical + {params['quantum']} quantum parameters; exact "
        f"simulator; Adam lr {cfg.lr:g}, {_length(cfg)} (the best epoch by validation "
        f"accuracy kept), batch {cfg.batch_size}",
        f"seeds: {len(seeds)} ({', '.join(map(str, seeds))}); each draws its own {draws}, "
        "added images, weights and batch order; ± is the sample std over seeds",
        f"real training images: {cfg.n_train} per class{source}; validation (never trained on; "
        f"picks each fit's best epoch, and the customized rows' errors): {cfg.n_val} per class; "
        f"test: {len(run.test)} real held-out "
        f"images ({test}), split seed {cfg.split_seed}",
        f"added images: {cfg.n_generated} per class (rotation: +-{cfg.rotation_degrees:g} "
        f"degrees); customized: the same total over {cfg.rounds} rounds, thresholds "
        f"{cfg.threshold_low:g} + ({cfg.threshold_high:g} - {cfg.threshold_low:g}) x class "
        "accuracy, allocation proportional to class error rates",
        "the 'errors evened' row replaces each class's measured error and accuracy by their "
        "mean over classes (uniform allocation and thresholds): an ablation for the case of "
        "evenly spread errors, not a data set where they happen to be even",
        f"cells: {len(records)}, {minutes:.1f} min of training and scoring in all (this machine)",
    ]
