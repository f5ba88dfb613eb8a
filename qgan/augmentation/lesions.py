"""HybridQ Sec. 4.3 (Table 2, Fig. 4b): lesion classifiers trained with generated images.

Per seed, the classifier's training set is a stratified ``fraction`` (10%) of the real training
split (the split the GANs trained on: lesion-level, ``split_seed``), plus for a model row
``n_gen = round(alpha / (1 - alpha) * n_real)`` images drawn from that model's per-class pools,
split over classes like the real subset (or evenly with ``balance``). The test set is the whole
real held-out side of the split, the same for every cell; no GAN trained on it (checked by id
where the GAN's run records its split). Cells (row, alpha, seed) are appended to ``cells.jsonl``
as they finish, so a rerun resumes.

``refine_classifier`` (issue 15: ResNet-18 at the best three alphas): after the sweep with the
main classifier, no augmentation and each model's ``refine_top`` best alphas (by mean
``select_by``, on the test set like the paper's optimal ratio) are trained again with that
classifier on the same seeds, as rows ``none@resnet18``, ``hybridq@resnet18`` ... in the same
``cells.jsonl``. The best alphas are those of the sweep over every seed in the folder, not only
this run's ``seeds``: runs split by seed (one core each) refine the same alphas.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from qgan.augmentation.cells import Cell, CellStore, open_experiment, run_cells
from qgan.augmentation.classifiers import build_classifier
from qgan.augmentation.config import AugmentError, LesionConfig
from qgan.augmentation.fit import FitConfig, fit, predict_proba, torch_threads
from qgan.augmentation.mixing import (
    assert_disjoint,
    draw_indices,
    generated_per_class,
    n_generated,
    stratified_subset,
)
from qgan.augmentation.quality import pool_quality, quality_config
from qgan.augmentation.scores import classification_scores
from qgan.augmentation.sources import Pool, gather_pools, locate, pool_notes
from qgan.augmentation.tables import best_alphas, summarize, write_lesion_report
from qgan.augmentation.transforms import lesion_augment
from qgan.data import LesionData, take
from qgan.data.core import to_tensor

REFERENCES = ("none", "classical")


@dataclass(frozen=True, eq=False)
class LesionRun:
    """Everything the cells share: config, real data, generated pools, the test tensor."""

    cfg: LesionConfig
    train: LesionData
    test: LesionData
    test_x: torch.Tensor  # (N_test, 3, S, S) in [-1, 1]
    pools: dict[str, dict[str, Pool]]
    progress: bool = True


def plan(cfg: LesionConfig) -> list[Cell]:
    """Seeds outermost (a full table after each seed); references once per seed; alpha > 0."""
    cells = []
    for seed in cfg.seed_values:
        cells += [Cell(ref, 0.0, seed) for ref in REFERENCES]
        for model in cfg.model_names:
            cells += [Cell(model, a, seed) for a in cfg.alpha_values if a > 0]
    return cells


def refine_plan(cfg: LesionConfig, records: list[dict]) -> list[Cell]:
    """The refine cells (module doc): ``none@C`` and ``model@C`` at each model's best alphas
    among ``cfg``'s, over every seed of the sweep in ``records`` (the folder's cells)."""
    if not cfg.refine_classifier:
        return []
    tag = f"@{cfg.refine_classifier}"
    alphas = {round(a, 6) for a in cfg.alpha_values}  # to the cell keys' precision
    mine = [r for r in records if "@" not in r["row"] and round(r["alpha"], 6) in alphas]
    summaries = summarize(mine, [cfg.select_by])
    cells = []
    for seed in cfg.seed_values:
        cells.append(Cell("none" + tag, 0.0, seed))
        for model in cfg.model_names:
            top = best_alphas(summaries, model, cfg.select_by, cfg.refine_top)
            cells += [Cell(model + tag, s["alpha"], seed) for s in top]
    return cells


def split_row(row: str, cfg: LesionConfig) -> tuple[str, str]:
    """(model or reference, classifier) of a row: ``hybridq@resnet18`` or ``hybridq``."""
    base, _, classifier = row.partition("@")
    return base, classifier or cfg.classifier


def run_lesions(cfg: LesionConfig, progress: bool = True) -> Path:
    """Run (or resume) every cell of ``cfg`` and write the tables; returns ``table2.md``."""
    with torch_threads(cfg.threads):
        return _run_lesions(cfg.resolved(), progress)


def _run_lesions(cfg: LesionConfig, progress: bool) -> Path:
    out, train, test, store = open_experiment(cfg)
    assert_disjoint(train.image_ids.tolist(), test.image_ids.tolist(), "real split")
    cells = plan(cfg)
    pools = _pending_pools(cfg, cells, store, train, test, {})
    run = LesionRun(cfg, train, test, test.tensor(), pools, progress)
    records = run_cells(cells, lambda cell: lesion_cell(cell, run), store, desc="lesion cells")
    refine = refine_plan(cfg, store.records())
    if refine:
        pools.update(_pending_pools(cfg, refine, store, train, test, pools))
        desc = f"{cfg.refine_classifier} cells"
        records += run_cells(refine, lambda cell: lesion_cell(cell, run), store, desc=desc)
    notes = _notes(run, records) + pool_notes(pools, out)
    quality = pool_quality(pools, train, test, quality_config(cfg), out)
    title = f"Table 2: {cfg.classifier} on {cfg.dataset} {'/'.join(train.class_names)}"
    return write_lesion_report(
        out, records, train.class_names, cfg.model_names, cfg.select_by, notes, title, quality
    )


def _pending_pools(
    cfg: LesionConfig,
    cells: list[Cell],
    store: CellStore,
    train: LesionData,
    test: LesionData,
    have: dict[str, dict[str, Pool]],
) -> dict[str, dict[str, Pool]]:
    """Pools of the models that ``cells`` not yet in ``store`` need and ``have`` lacks."""
    done = store.done()
    models = {split_row(c.row, cfg)[0] for c in cells if c.key not in done}
    pending = sorted(models - set(REFERENCES) - set(have))
    return _pools(cfg, train, test, pending, Path(cfg.out))


def _pools(
    cfg: LesionConfig, train: LesionData, test: LesionData, models: list[str], out: Path
) -> dict[str, dict[str, Pool]]:
    """Pools of the models with cells still to run, large enough for the largest alpha."""
    if not models:
        return {}
    sources = locate(
        tuple(models), train.class_names, cfg.dataset, cfg.generated, cfg.generated_map
    )
    counts = _subset_counts(train, cfg.fraction)
    top = max(cfg.alpha_values)
    most = generated_per_class(n_generated(int(counts.sum()), top), counts, cfg.balance)
    needed = {m: dict(zip(train.class_names, most.tolist(), strict=True)) for m in models}
    pools = gather_pools(
        sources,
        needed,
        out / "generated",
        cfg.image_size,
        3,
        test.image_ids,
        seed=cfg.split_seed,
        batch_size=cfg.sample_batch,
    )
    for model in models:
        for cls, n in needed[model].items():
            have = len(pools[model][cls].images)
            if n > have and not cfg.allow_repeats:
                raise AugmentError(
                    f"{model} {cls}: alpha {top} needs {n} generated images, "
                    f"{pools[model][cls].path} holds {have}; sample more "
                    f"(python -m qgan.sample --n {n}), lower --alphas, or pass --allow-repeats"
                )
    return pools


def _subset_counts(train: LesionData, fraction: float) -> np.ndarray:
    """Real images per class in every seed's subset (fixed by the stratified rounding)."""
    per_class = np.bincount(train.labels, minlength=len(train.class_names))
    return np.asarray([max(1, int(round(fraction * n))) for n in per_class])


def lesion_cell(cell: Cell, run: LesionRun) -> dict:
    """Train one classifier for ``cell`` and score it on the real test set."""
    cfg, train = run.cfg, run.train
    row, classifier = split_row(cell.row, cfg)
    subset = take(train, stratified_subset(train.labels, cfg.fraction, cell.seed))
    images, labels, ids = [subset.images], [subset.labels], subset.image_ids.tolist()
    counts = np.zeros(len(train.class_names), dtype=np.int64)
    if row not in REFERENCES:
        n = n_generated(len(subset), cell.alpha)
        real_counts = np.bincount(subset.labels, minlength=len(train.class_names))
        counts = generated_per_class(n, real_counts, cfg.balance)
        for label, cls in enumerate(train.class_names):
            pool = run.pools[row][cls]
            # the model's name, not the row's: a refine cell draws the images its sweep cell drew
            rng = np.random.default_rng([cell.seed, label, zlib.crc32(row.encode())])
            index = draw_indices(len(pool.images), int(counts[label]), rng, cfg.allow_repeats)
            images.append(pool.images[index])
            labels.append(np.full(len(index), label, dtype=np.int64))
            ids += [f"generated/{row}/{cls}/{i}" for i in index]
    assert_disjoint(ids, run.test.image_ids.tolist(), f"cell {cell.key}")
    x, y = to_tensor(np.concatenate(images)), torch.from_numpy(np.concatenate(labels))
    n_classes = len(train.class_names)
    model, info = build_classifier(classifier, n_classes, 3, cfg.pretrained, cell.seed)
    fit_cfg = FitConfig(cfg.epochs, cfg.batch_size, cfg.lr, cell.seed, run.progress)
    augment = lesion_augment if row == "classical" else None
    losses = fit(model, x, y, fit_cfg, augment, desc=cell.key).losses
    predicted = predict_proba(model, run.test_x).argmax(axis=1)
    record = classification_scores(run.test.labels, predicted, train.class_names)
    record.update(n_real=len(subset), n_generated=int(counts.sum()))
    record.update(generated_per_class=counts.tolist(), weights=info.weights, loss=losses[-1])
    record["classifier"] = classifier
    return record


def _notes(run: LesionRun, records: list[dict]) -> list[str]:
    cfg, train, test = run.cfg, run.train, run.test
    _, info = build_classifier(cfg.classifier, len(train.class_names), 3, cfg.pretrained)
    counts = _subset_counts(train, cfg.fraction)
    per = ", ".join(f"{c} {n}" for c, n in zip(train.class_names, counts, strict=True))
    seeds = sorted({int(r["seed"]) for r in records})
    minutes = sum(r.get("seconds", 0.0) for r in records) / 60
    return [
        f"classifier: {info.describe()}; Adam lr {cfg.lr:g}, {cfg.epochs} epochs, "
        f"batch {cfg.batch_size}",
        f"seeds: {len(seeds)} ({', '.join(map(str, seeds))}); each draws its own real subset, "
        "generated images, weights and batch order; ± is the sample std over seeds",
        f"real training images per cell: {int(counts.sum())} = {cfg.fraction:g} of the "
        f"{len(train)}-image training split, stratified ({per})",
        f"test: {len(test)} real held-out images ({_counts(test)}), lesion-level split "
        f"(seed {cfg.split_seed}, {cfg.test_fraction:g} held out), the same in every cell",
        "generated images per class: "
        + ("even over classes (--balance)" if cfg.balance else "in the real class shares")
        + f"; n_gen = round(alpha/(1-alpha) * n_real); a model's row shows its best alpha by "
        f"mean {cfg.select_by} on the test set (the paper's 'optimal mixing ratio'; optimistic)",
        f"classical augmentation: random flips, quarter turns, colour jitter (+-20%) per batch; "
        f"cells: {len(records)}, {minutes:.1f} min of training and scoring in all (this machine)",
    ] + _refine_note(cfg)


def _refine_note(cfg: LesionConfig) -> list[str]:
    if not cfg.refine_classifier:
        return []
    return [
        f"last table: {cfg.refine_classifier} (weights: --pretrained {cfg.pretrained}) retrained "
        f"on the same seeds for no augmentation and each model's {cfg.refine_top} best alphas "
        f"by mean {cfg.select_by} of the {cfg.classifier} sweep"
    ]


def _counts(data: LesionData) -> str:
    return ", ".join(f"{c} {n}" for c, n in data.counts().items())
