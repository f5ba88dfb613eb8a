"""``evaluate(runs, cfg)``: every model x class scored on its held-out real test images.

For each run folder: ``n`` images from its final checkpoint and ``curve_n`` from each epoch snapshot
(seeded noise), Inception FID/KID (offline: ``qgan.evaluation.inception``), derm-FID and derm-KID in
the derm network's feature space, and SSIM diversity. A "real vs real (train vs test)" row scores up
to ``n`` of the class's real training images the same way, as the floor a perfect generator could
reach with these sample sizes. Outputs: table1.md, table1.csv and fid_vs_epoch.png
(``qgan.evaluation.report``), one JSON line per scored checkpoint in the run's eval.jsonl (reused
when nothing changed, so a second call only scores new snapshots) and in ``<out>/eval.jsonl``.
The real-vs-real row's scores are cached beside the real statistics
(``qgan.evaluation.scoring.cached_image_metrics``), so a second call does not score the real
training images again either.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from qgan.artifacts import append_metrics, read_metrics
from qgan.checkpoint import load_checkpoint
from qgan.evaluation.config import EvalConfig
from qgan.evaluation.features import FeatureNet
from qgan.evaluation.networks import DermEntry, Networks, networks_of
from qgan.evaluation.report import (
    MODEL_ORDER,
    class_order,
    plot_fid_vs_epoch,
    plot_samples,
    tile,
    write_table1,
)
from qgan.evaluation.runs import Run, find_runs, real_images, sample_of
from qgan.evaluation.samplers import generate_images
from qgan.evaluation.scoring import (
    FLOOR,
    METRICS_VERSION,
    ScoreSettings,
    cached_image_metrics,
    image_metrics,
)
from qgan.evaluation.stats import RealStats, real_statistics, stats_folder

__all__ = ["DermEntry", "EvalConfig", "Networks", "Scorer", "evaluate", "networks_for"]

REFERENCE = FLOOR  # the table row of real training images


def evaluate(paths: list[str], cfg: EvalConfig) -> Path:
    """Score the runs under ``paths`` and write the report to ``cfg.out``; returns that folder."""
    runs = at_epoch(find_runs(paths), cfg.epoch)
    out = Path(cfg.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    scorer = Scorer(cfg, networks_for(runs, cfg))
    plan = [(run, table_checkpoint(run, cfg.epoch), cfg.n, "final") for run in runs]
    if cfg.curve_n:
        every = slice(cfg.curve_every - 1, None, cfg.curve_every)
        plan += [(run, p, cfg.curve_n, "curve") for run in runs for _, p in run.snapshots()[every]]
    records = []
    bar = tqdm(plan, unit="ckpt", desc="evaluate", dynamic_ncols=True)
    for run, path, n, kind in bar:
        bar.set_postfix_str(f"{run.path.name}/{path.name}")
        records.append(scorer.checkpoint(run, path, n, kind))
    first_of = {(r.dataset, r.cls): r for r in reversed(runs)}
    records += [scorer.reference(run) for run in first_of.values()]
    for record in records:
        append_metrics(out / "eval.jsonl", record)
    write_table1(
        [r for r in records if r["kind"] != "curve"], class_order(runs), scorer.notes(records), out
    )
    plot_fid_vs_epoch([r for r in records if r["kind"] == "curve"], out, class_order(runs))
    if cfg.samples:
        plot_samples(sample_tiles(runs, cfg, cfg.samples), out)
    return out


def table_checkpoint(run: Run, epoch: int) -> Path:
    """The checkpoint a run's table row scores: its final one, or its snapshot of ``epoch``."""
    return run.snapshot(epoch) if epoch else run.final_checkpoint()


def at_epoch(runs: list[Run], epoch: int) -> list[Run]:
    """The runs with a snapshot of ``epoch`` (all when 0); a note names each one left out.

    Raises:
        FileNotFoundError: No run has it.
    """
    if not epoch:
        return runs
    kept = []
    for run in runs:
        epochs = [e for e, _ in run.snapshots()]
        if epoch in epochs:
            kept.append(run)
        else:
            last = max(epochs, default=0)
            print(f"note: {run.path} left out: no epoch{epoch:03d}.pt (its last epoch: {last})")
    if not kept:
        raise FileNotFoundError(f"no run has an epoch{epoch:03d}.pt snapshot; lower --epoch")
    return kept


def sample_tiles(runs: list[Run], cfg: EvalConfig, n: int = 16) -> dict[tuple[str, str], Any]:
    """(class, column) -> a mosaic, 4 images wide: ``n`` real test images of the class, then
    ``n`` images of each run's final checkpoint (seed ``cfg.seed``), classes in training order."""
    rank = {c: i for i, c in enumerate(class_order(runs))}
    models = {m: i for i, m in enumerate(MODEL_ORDER)}
    runs = sorted(runs, key=lambda r: (rank.get(r.cls, len(rank)), models.get(r.model, 9), r.label))
    tiles = {}
    for run in runs:
        if (run.cls, "real test") not in tiles:
            real = real_images(run, "test", cfg.data_root or None)
            tiles[(run.cls, "real test")] = tile(sample_of(real, n, cfg.seed))
    for run in runs:
        images = generate_images(load_checkpoint(table_checkpoint(run, cfg.epoch)), n, cfg.seed, n)
        tiles[(run.cls, run.label)] = tile(images)
    return tiles


def networks_for(runs: list[Run], cfg: EvalConfig) -> Networks:
    """The feature networks the runs' images are scored in (one derm network per data set)."""
    return networks_of(cfg, [(run.dataset, run.image_size) for run in runs], cfg.data_root)


class Scorer:
    """Scores images of one run against the run's real test statistics, with caches."""

    def __init__(self, cfg: EvalConfig, nets: Networks):
        self.cfg, self.nets = cfg, nets
        self.settings = ScoreSettings.of(cfg)
        self.stats_dir = stats_folder(cfg.cache_dir)
        self._real: dict[tuple[Path, str, str], RealStats] = {}

    def real(self, run: Run, net: FeatureNet) -> RealStats:
        """The run's real test statistics in ``net``'s space (memory, then disk cache)."""
        key = (run.path, net.name, net.fingerprint)
        if key not in self._real:
            test = real_images(run, "test", self.cfg.data_root or None)
            if len(test) < 2:
                raise ValueError(f"{run.path}: {len(test)} test image(s) of {run.cls}; need 2")
            self._real[key] = real_statistics(
                test, run.cls, "test", net, self.stats_dir, self.cfg.batch_size
            )
        return self._real[key]

    def reals(self, run: Run) -> list[tuple[FeatureNet, RealStats]]:
        """(network, the run's real test statistics in its space) for each network of the run."""
        return [(net, self.real(run, net)) for net in self.nets.for_run(run)]

    def metrics(self, images: np.ndarray, run: Run) -> dict:
        """FID / KID per feature network (keys ``fid``, ``derm_fid``, ...) and SSIM diversity."""
        return image_metrics(images, self.reals(run), self.settings)

    def checkpoint(self, run: Run, path: Path, n: int, kind: str) -> dict:
        """The record of one checkpoint: reused from the run's eval.jsonl if its key matches."""
        key = self._key(run, path, n)
        for old in reversed(read_metrics(run.path / "eval.jsonl")):
            if old.get("key") == key:  # the scores stand; the row follows today's defaults
                return old | {"kind": kind, "label": run.label}
        start = time.perf_counter()
        ckpt = load_checkpoint(path)
        images = generate_images(ckpt, n, self.cfg.seed, self.cfg.batch_size)
        record = self._describe(run, kind, len(images)) | {
            "checkpoint": path.name,
            "epoch": int(ckpt.get("position", {}).get("epoch", -1)),
            "step": int(ckpt.get("position", {}).get("step", -1)),
            "parameters": ckpt.get("parameters", {}).get("total"),
        }
        record |= self.metrics(images, run) | {"seconds": round(time.perf_counter() - start, 2)}
        record["key"] = key
        try:
            append_metrics(run.path / "eval.jsonl", record)
        except OSError as exc:  # a read-only run folder still gets its report in --out
            print(f"warning: cannot append to {run.path / 'eval.jsonl'} ({exc})")
        return record

    def reference(self, run: Run) -> dict:
        """The class's real training images (at most ``n``), scored like a generator's."""
        train = real_images(run, "train", self.cfg.data_root or None)
        images = sample_of(train, self.cfg.n, self.cfg.seed)
        record = self._describe(run, "reference", len(images)) | {
            "label": REFERENCE,
            "model": "real",
        }
        metrics = cached_image_metrics(images, self.reals(run), self.settings, self.stats_dir)
        return record | metrics

    def _describe(self, run: Run, kind: str, n_fake: int) -> dict:
        record = {
            "run": str(run.path),
            "label": run.label,
            "model": run.model,
            "dataset": run.dataset,
            "cls": run.cls,
            "kind": kind,
            "n_fake": n_fake,
            "seed": self.cfg.seed,
            "train_seed": run.train_seed,
            "epochs_planned": run.config.get("epochs"),
        }
        test_ids = real_images(run, "test", self.cfg.data_root or None).image_ids.tolist()
        record["n_real"] = len(test_ids)
        entry = self.nets.derm[(run.dataset, run.image_size)]
        if entry.net is not None:  # test images the derm network trained on (should be 0)
            record["derm_train_overlap"] = len(entry.train_ids.intersection(test_ids))
        return record

    def _key(self, run: Run, path: Path, n: int) -> str:
        """Everything a checkpoint's scores depend on; equal keys mean equal scores."""
        stats = sorted(real.path.name for _, real in self.reals(run))
        cfg = self.cfg
        kid = (cfg.kid_subsets, cfg.kid_subset_size)
        stat = path.stat()
        file = (path.name, stat.st_size, stat.st_mtime_ns)
        return json.dumps([METRICS_VERSION, *file, n, cfg.seed, stats, *kid, cfg.ssim_pairs])

    def notes(self, records: list[dict]) -> list[str]:
        """What the report says about its feature networks and sample sizes."""
        lines = self.nets.notes()
        leaked = sorted({r["run"] for r in records if r.get("derm_train_overlap")})
        if leaked:
            lines.append("WARNING: the derm network trained on test images of " + ", ".join(leaked))
        lines.append(
            f"{REFERENCE}: up to {self.cfg.n} real training images of the class, scored "
            "like a generator: the floor these sample sizes allow (the derm network was "
            "trained on them, which flatters this row a little)"
        )
        lines.append(
            f"{self.cfg.n} generated images per run (noise seed {self.cfg.seed}); "
            f"KID over {self.cfg.kid_subsets} subsets; SSIM over "
            f"{self.cfg.ssim_pairs} pairs"
        )
        return lines
