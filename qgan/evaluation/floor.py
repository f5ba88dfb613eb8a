"""The real-vs-real floor without training runs: ``python -m qgan.evaluate floor``.

Per class: up to ``n`` real images of the training side of the lesion split that ``qgan.train``
makes (same data set, classes, size and ``--seed``), scored against the test side of the same
class exactly as a generator's ``n`` images are (``qgan.evaluation.scoring``): FID and KID in
Inception and derm features, SSIM diversity. With evaluate's ``--n`` this is the "real vs real"
row of its Table 1, so the two agree; the floor says how low a perfect generator could score at
these sample sizes. Writes floor.md, floor.csv and floor.jsonl to ``--out``; the scores are
cached beside the real statistics (``cached_image_metrics``), shared with evaluate's row.
"""

from __future__ import annotations

from pathlib import Path

from qgan.artifacts import append_metrics
from qgan.data import class_subset, load_train_test
from qgan.evaluation.config import FloorConfig
from qgan.evaluation.networks import networks_of
from qgan.evaluation.report import write_table1
from qgan.evaluation.runs import sample_of
from qgan.evaluation.scoring import FLOOR, ScoreSettings, cached_image_metrics
from qgan.evaluation.stats import real_statistics, stats_folder


def real_floor(cfg: FloorConfig) -> Path:
    """Score every class's training side against its test side; returns the output folder."""
    cfg = cfg.resolved()
    train, test, _ = load_train_test(cfg.data_config())
    nets = networks_of(cfg, [(cfg.dataset, cfg.image_size)], cfg.data_root)
    settings, stats_dir = ScoreSettings.of(cfg), stats_folder(cfg.cache_dir)
    out = Path(cfg.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for cls in cfg.class_names:
        real_test = class_subset(test, cls)
        if len(real_test) < 2:
            raise ValueError(f"{len(real_test)} test image(s) of {cls}; the floor needs 2")
        images = sample_of(class_subset(train, cls), cfg.n, cfg.seed)
        reals = [
            (net, real_statistics(real_test, cls, "test", net, stats_dir, cfg.batch_size))
            for net in nets.for_key(cfg.dataset, cfg.image_size)
        ]
        record = {
            "label": FLOOR,
            "model": "real",
            "dataset": cfg.dataset,
            "cls": cls,
            "kind": "reference",
            "n_fake": len(images),
            "n_real": len(real_test),
            "seed": cfg.seed,
            "split_seed": cfg.split_seed,
        }
        records.append(record | cached_image_metrics(images, reals, settings, stats_dir))
        append_metrics(out / "floor.jsonl", records[-1])
    notes = [
        *nets.notes(),
        f"{FLOOR}: up to {cfg.n} real training-side images per class "
        f"(draw seed {cfg.seed}) against the test side of the lesion split (seed "
        f"{cfg.split_seed}); KID over {cfg.kid_subsets} subsets",
    ]
    write_table1(
        records,
        list(cfg.class_names),
        notes,
        out,
        stem="floor",
        title=f"{FLOOR}: the floor per class",
    )
    return out
