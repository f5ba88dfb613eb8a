"""Table 1 (Markdown and CSV) and Fig. 4a (FID vs epoch) of the HybridQ paper from eval records.

Table 1 of Jiao et al. has one row per model and one column per class, FID at the end of
training. Here each data set gets one table with Inception FID/KID and derm-FID/KID side by side
(a column per metric and class, never one column for two networks), each model's parameter count
and trained epochs, and the real-vs-real floor as the last row; SSIM diversity has its own table.
"""

from __future__ import annotations

import csv
import textwrap
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from qgan.evaluation.inception import PREPROCESSING

MODEL_ORDER = ("dcgan", "mosaiq", "hybridq")  # the paper's row order; other models follow
# (record key, column title); KID is shown x 10^3 as mean +- std. Inception and derm columns sit
# side by side in one table; SSIM diversity (no feature network) gets its own.
FID_KID = (
    ("fid", "Inception FID"),
    ("kid", "Inception KID x 10^3"),
    ("derm_fid", "derm-FID"),
    ("derm_kid", "derm-KID x 10^3"),
)
SSIM = (
    ("ssim_diversity", "SSIM diversity"),
    ("spread_x", "spread x real"),  # qgan.evaluation.metrics.pixel_spread over the floor row's
    ("sharpness_x", "sharpness x real"),  # qgan.evaluation.metrics.sharpness over the floor row's
)
FID_KID_TITLE = (
    f"FID and KID (lower is better): Inception with {PREPROCESSING}; derm: the "
    "derm network's own feature space"
)
SSIM_TITLE = (
    "Diversity and detail: SSIM diversity (mean SSIM of random image pairs; high = "
    "mode collapse), and the samples' pixel spread and sharpness as multiples of the "
    "real training images' (the floor row)"
)
CSV_METRICS = (
    "fid",
    "kid_mean",
    "kid_std",
    "derm_fid",
    "derm_kid_mean",
    "derm_kid_std",
    "ssim_diversity",
    "spread",
    "sharpness",
)
AVERAGED = (*CSV_METRICS, "spread_x", "sharpness_x")


def write_table1(
    records: list[dict],
    classes: list[str],
    notes: list[str],
    out: Path,
    stem: str = "table1",
    title: str = "Table 1: image quality per model and class",
) -> list[Path]:
    """``out/<stem>.md`` and ``out/<stem>.csv`` from final and reference records.

    ``classes`` orders the columns (e.g. :func:`class_order`); classes without records are left
    out, classes not listed follow in the records' order.
    """
    order = list(dict.fromkeys([*classes, *(r["cls"] for r in records)]))
    records = relative_to_floor(records)
    md = [f"# {title}", ""]
    md += [f"- {line}" for line in notes] + [""]
    rows = []
    for dataset in dict.fromkeys(r["dataset"] for r in records):
        part = [r for r in records if r["dataset"] == dataset]
        present = [c for c in order if any(r["cls"] == c for r in part)]
        md += _dataset_markdown(dataset, part, present)
        rows += _csv_rows(dataset, part, present)
    (out / f"{stem}.md").write_text("\n".join(md) + "\n")
    columns = [
        "dataset",
        "model",
        "metric",
        *dict.fromkeys(c for r in rows for c in r["cells"]),
        "parameters",
        "epochs",
        "features",
    ]
    with open(out / f"{stem}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: v for k, v in row.items() if k != "cells"} | row["cells"])
    return [out / f"{stem}.md", out / f"{stem}.csv"]


def class_order(runs: Iterable) -> list[str]:
    """Classes in the order the runs' configs list them (MEL, NV, BCC as trained)."""
    order: list[str] = []
    for run in runs:
        listed = [c.strip() for c in str(run.config.get("classes", "")).split(",") if c.strip()]
        order += [c for c in dict.fromkeys([*listed, run.cls]) if c not in order]
    return order


def relative_to_floor(records: list[dict]) -> list[dict]:
    """Records with ``spread_x`` and ``sharpness_x``: their spread and sharpness over those of
    the floor row (real training images) of the same data set and class, where both exist."""
    floor = {(r["dataset"], r["cls"]): r for r in records if r["model"] == "real"}
    out = []
    for r in records:
        ref = floor.get((r["dataset"], r["cls"]), {})
        extra = {
            f"{k}_x": r[k] / ref[k]
            for k in ("spread", "sharpness")
            if r.get(k) is not None and ref.get(k)
        }
        out.append(r | extra)
    return out


def cells(records: list[dict], label: str) -> dict[str, dict]:
    """Class -> the record of row ``label``; runs of several training seeds merge into one
    record whose metrics (``AVERAGED``) are their means, with ``seeds`` (how many) and
    ``<metric>_sd`` (the standard deviation across seeds, ddof 1)."""
    by_cls: dict[str, list[dict]] = {}
    for r in records:
        if r["label"] == label:
            by_cls.setdefault(r["cls"], []).append(r)
    merged = {}
    for cls, group in by_cls.items():
        record = dict(group[0]) | {"seeds": len(group)}
        for key in AVERAGED:
            values = [r[key] for r in group if r.get(key) is not None]
            if len(values) == len(group) and len(group) > 1:
                record[key] = float(np.mean(values))
                record[f"{key}_sd"] = float(np.std(values, ddof=1))
        merged[cls] = record
    return merged


def _labels(records: list[dict]) -> list[str]:
    """Row labels: the paper's models first, other models by name, the reference row last."""

    def rank(label: str) -> tuple:
        model = next(r["model"] for r in records if r["label"] == label)
        known = MODEL_ORDER.index(model) if model in MODEL_ORDER else len(MODEL_ORDER)
        return (model == "real", known, label)

    return sorted(dict.fromkeys(r["label"] for r in records), key=rank)


def _dataset_markdown(dataset: str, records: list[dict], classes: list[str]) -> list[str]:
    n_real = {r["cls"]: r.get("n_real") for r in records}
    lines = [
        f"## {dataset}",
        "",
        "Held-out real test images: " + ", ".join(f"{c} {n_real[c]}" for c in classes),
    ]
    floor = {r["cls"]: r.get("n_fake") for r in records if r["model"] == "real"}
    if floor:
        counts = ", ".join(f"{c} {floor[c]}" for c in classes if c in floor)
        lines[-1] += f"; real-vs-real floor: {counts} training images of the class against them"
    lines.append("")
    for title, metrics in ((FID_KID_TITLE, FID_KID), (SSIM_TITLE, SSIM)):
        lines += quality_table(records, classes, metrics, title, "Model")
    return lines


def quality_table(
    records: list[dict],
    classes: list[str],
    metrics=FID_KID,
    title: str = FID_KID_TITLE,
    first: str = "Model",
    counts: bool = True,
) -> list[str]:
    """A Markdown table: one row per label, a column per (metric, class) that has any value.

    Metrics without any value are left out (e.g. no Inception: the notes say why). With
    ``counts``, parameter, epoch and seed columns close each row (empty for the real floor).
    A row of several training seeds shows each metric's mean +- its standard deviation across
    the seeds (KID then too: its spread over subsets is the single runs').
    """
    columns = [
        (key, name, c)
        for key, name in metrics
        for c in classes
        if any(_value(r, key) is not None for r in records if r["cls"] == c)
    ]
    if not columns:
        return []
    header = [first] + [f"{name} {c}" if len(classes) > 1 else name for _, name, c in columns]
    header += ["Parameters", "Epochs", "Seeds"] if counts else []
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for label in _labels(records):
        cell = cells(records, label)
        values = [_format(key, cell.get(c)) for key, _, c in columns]
        if counts:
            here = [cell[c] for c in classes if c in cell]
            values += [*_params_epochs(here), _seeds(here)]
        lines.append(f"| {label} | " + " | ".join(values) + " |")
    return [*lines, ""]


def _value(record: dict, key: str):
    return record.get(f"{key}_mean" if key.endswith("kid") else key)


def _format(key: str, record: dict | None) -> str:
    if record is None or _value(record, key) is None:
        return "–"
    digits = 3 if key == "ssim_diversity" else 2
    if key.endswith("kid"):
        mean, spread = record[f"{key}_mean"] * 1e3, record[f"{key}_std"] * 1e3
        if f"{key}_mean_sd" in record:  # across seeds
            spread = record[f"{key}_mean_sd"] * 1e3
        return f"{mean:.2f} ± {spread:.2f}"
    if f"{key}_sd" in record:
        return f"{record[key]:.{digits}f} ± {record[f'{key}_sd']:.{digits}f}"
    return f"{record[key]:.{digits}f}"


def _seeds(cells_: list[dict]) -> str:
    """How many training seeds a row averages (one number when every class has as many)."""
    if not cells_ or cells_[0]["model"] == "real":
        return ""
    return ", ".join(str(n) for n in dict.fromkeys(c.get("seeds", 1) for c in cells_))


def _params_epochs(cells: list[dict]) -> tuple[str, str]:
    """One number when all classes agree, else one per class in column order."""
    if not cells or cells[0]["model"] == "real":
        return "", ""
    params = list(dict.fromkeys(c.get("parameters") for c in cells))
    epochs = list(dict.fromkeys(c.get("epoch") for c in cells))
    cell_params = ", ".join(f"{p:,}" if isinstance(p, int) else "?" for p in params)
    cell_epochs = ", ".join(
        str(e) for e in (epochs if len(epochs) == 1 else [c.get("epoch") for c in cells])
    )
    return cell_params, cell_epochs


def _csv_rows(dataset: str, records: list[dict], classes: list[str]) -> list[dict]:
    rows = []
    for label in _labels(records):
        cell = cells(records, label)
        params, epochs = _params_epochs([cell[c] for c in classes if c in cell])
        for metric in CSV_METRICS:
            values = {c: cell[c].get(metric) if c in cell else None for c in classes}
            if all(v is None for v in values.values()):
                continue
            rows.append(
                {
                    "dataset": dataset,
                    "model": label,
                    "metric": metric,
                    "cells": {c: "" if v is None else f"{v:.6g}" for c, v in values.items()},
                    "parameters": params.replace(",", ""),
                    "epochs": epochs,
                    "features": _features(metric, list(cell.values())),
                }
            )
    return rows


def _features(metric: str, cells: list[dict]) -> str:
    """Which network computed a CSV row: weights fingerprint (and Inception's preprocessing)."""
    if metric == "ssim_diversity":
        return ""
    name = "derm" if metric.startswith("derm_") else "inception"
    weights = "/".join(dict.fromkeys(str(c.get(f"{name}_weights", "?")) for c in cells))
    return f"{weights}; {PREPROCESSING}" if name == "inception" else weights


def plot_fid_vs_epoch(
    records: list[dict], out: Path, classes: list[str] | None = None
) -> Path | None:
    """Fig. 4a: FID against epoch, one panel per (data set, class), one line per model (the mean
    over its training seeds where it has several).

    Inception FID when every point has it; otherwise derm-FID, and the axis says so. Panels
    follow ``classes`` (e.g. :func:`class_order`). Returns None (and writes nothing) when there
    is no snapshot score to plot.
    """
    key = "fid" if records and all("fid" in r for r in records) else "derm_fid"
    points = [r for r in records if key in r]
    if not points:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rank = {c: i for i, c in enumerate(classes or [])}
    panels = sorted(
        dict.fromkeys((r["dataset"], r["cls"]) for r in points),
        key=lambda p: rank.get(p[1], len(rank)),
    )
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, (dataset, cls) in zip(axes[0], panels, strict=True):
        here = [r for r in points if (r["dataset"], r["cls"]) == (dataset, cls)]
        for label in _labels(here):
            by_epoch: dict[int, list[float]] = {}
            for r in here:
                if r["label"] == label:
                    by_epoch.setdefault(r["epoch"], []).append(r[key])
            line = sorted((e, float(np.mean(v))) for e, v in by_epoch.items())  # seeds averaged
            ax.plot(*np.array(line).T, marker="o", ms=3, lw=1.2, label=label)
        ax.set_title(f"{dataset} {cls}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(
            "Inception FID (bilinear to 299)" if key == "fid" else "derm-FID (Inception skipped)"
        )
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "fid_vs_epoch.png", dpi=100)
    plt.close(fig)
    return out / "fid_vs_epoch.png"


def tile(images: np.ndarray, columns: int = 4) -> np.ndarray:
    """uint8 images (N, H, W, C) as one (rows * H, columns * W, C) mosaic, 1-pixel white gaps."""
    n, h, w, c = images.shape
    rows = -(-n // columns)
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1, c), 255, dtype=np.uint8)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        out[r * (h + 1) : r * (h + 1) + h, col * (w + 1) : col * (w + 1) + w] = image
    return out


def plot_samples(tiles: dict[tuple[str, str], np.ndarray], out: Path) -> Path | None:
    """One panel per (class, column) of uint8 mosaics: rows are classes, columns the real test
    images and then each model, in the order ``tiles`` lists them. Returns None if empty."""
    if not tiles:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(dict.fromkeys(cls for cls, _ in tiles))
    columns = list(dict.fromkeys(col for _, col in tiles))
    fig, axes = plt.subplots(
        len(rows), len(columns), squeeze=False, figsize=(2.3 * len(columns), 2.4 * len(rows))
    )
    for r, cls in enumerate(rows):
        for c, col in enumerate(columns):
            ax = axes[r][c]
            ax.axis("off")
            mosaic = tiles.get((cls, col))
            if mosaic is None:
                continue
            gray = mosaic.shape[-1] == 1
            ax.imshow(mosaic.squeeze(-1) if gray else mosaic, cmap="gray" if gray else None)
            ax.set_title(textwrap.fill(f"{col}, {cls}", 26), fontsize=9)  # no overlap
    fig.tight_layout()
    fig.savefig(out / "samples.png", dpi=100)
    plt.close(fig)
    return out / "samples.png"
