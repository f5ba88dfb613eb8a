"""The efficiency claims of arXiv:2505.24780, measured: generator size and training needed.

The paper says its QGAN has about half the DCGAN's generator parameters and needs about 60%
fewer generator training iterations to reach a target HQCNN accuracy. Here, per model (QGAN and
DCGAN digit runs, one run folder per digit), every per-epoch snapshot ``epochNNN.pt`` that all
its digits share is a ``--generated-map`` source of the general row (``qgan-general`` /
``dcgan-general``), run with :func:`qgan.augmentation.digits.run_digits` on the same seeds into
``<out>/<model>/epochNNN/`` (resumable cells), beside one ``none`` row in ``<out>/none``. The
table gives, per model, the generator's trainable parameters (the trainer's count, as in the
pools' notes) and the first snapshot at which the mean HQCNN test accuracy over the seeds
reaches the target (default: the ``none`` row's median accuracy minus 0.01), with its training
steps (the snapshot's own step counter, summed over nothing: one digit's run; every digit's
run has the same number of steps per epoch when trained with the same flags).
"""

from __future__ import annotations

import dataclasses
import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from qgan.augmentation.config import AugmentError, DigitConfig
from qgan.augmentation.paired import by_seed, paired
from qgan.augmentation.tables import markdown
from qgan.config import opt, parse_list

_SNAPSHOT = re.compile(r"epoch(\d+)\.pt$")


@dataclass(frozen=True)
class EfficiencyConfig(DigitConfig):
    """Generator size and snapshots-to-target of the QGAN and DCGAN digit runs (module doc)."""

    runs: str = opt("", "JSON {model: {digit: run folder with epochNNN.pt snapshots}}", True)
    snapshots: str = opt("", "epochs to use, comma-separated (empty: every one all digits have)")
    target: float = opt(0.0, "HQCNN test accuracy to reach (0: the none row's median - 0.01)")
    quality_n: int = opt(0, "image-quality scoring per snapshot (0: none; it is slow)")
    out: str = opt("results/augment/efficiency", "output folder: efficiency.md/.csv, sub-runs")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.runs:
            raise AugmentError("--runs is needed: JSON {model: {digit: run folder}}")
        if not 0.0 <= self.target <= 1.0:
            raise AugmentError(f"--target must lie in [0, 1], got {self.target}")

    def row_of(self, model: str) -> str:
        """The general row a model's images feed."""
        if model == self.qgan_model:
            return "qgan-general"
        if model == self.dcgan_model:
            return "dcgan-general"
        raise AugmentError(f"--runs names {model!r}; want --qgan-model or --dcgan-model names")


def snapshot_epochs(folders: dict[str, Path], wanted: tuple[int, ...] = ()) -> list[int]:
    """Epochs whose ``epochNNN.pt`` every digit's run folder holds (``wanted`` only, if given)."""
    common: set[int] | None = None
    for folder in folders.values():
        epochs = {
            int(m.group(1))
            for p in Path(folder).glob("epoch*.pt")
            if (m := _SNAPSHOT.search(p.name))
        }
        common = epochs if common is None else common & epochs
    found = sorted(common or ())
    if wanted:
        missing = sorted(set(wanted) - set(found))
        if missing:
            raise AugmentError(
                f"no snapshot of epoch(s) {missing} in every digit's run; have {found}"
            )
        found = sorted(wanted)
    if not found:
        raise AugmentError(
            f"no epochNNN.pt shared by every digit's run in {sorted(map(str, folders.values()))}"
        )
    return found


def run_efficiency(cfg: EfficiencyConfig, progress: bool = True) -> Path:
    """Run (or resume) the none row and every snapshot's general row; write ``efficiency.md``."""
    from qgan.augmentation.digits import run_digits  # torch loads past --help

    cfg = cfg.resolved()
    out = Path(cfg.out)
    runs = _read_runs(cfg.runs, cfg.class_names)
    wanted = parse_list(cfg.snapshots, int, "--snapshots") if cfg.snapshots else ()
    anchor = _anchor(cfg, runs, wanted)
    run_digits(_sub_run(cfg, "none", out / "none", anchor), progress)
    records = {"none": _cells(out / "none")}
    curves = []
    for model, folders in runs.items():
        row = cfg.row_of(model)
        for epoch in snapshot_epochs(folders, wanted):
            where = out / model / f"epoch{epoch:03d}"
            print(f"{model}: snapshot epoch {epoch}")
            snapshots = _snapshot_map(folders, epoch)
            run_digits(_sub_run(cfg, row, where, anchor | {model: snapshots}), progress)
            snap = Path(next(iter(snapshots.values())))
            curves.append(_point(model, epoch, snap, _cells(where), row, records["none"]))
    return write_efficiency(out, curves, records["none"], cfg.target)


def _snapshot_map(folders: dict[str, Path], epoch: int) -> dict[str, str]:
    return {d: str(Path(f).resolve() / f"epoch{epoch:03d}.pt") for d, f in folders.items()}


def _anchor(cfg: EfficiencyConfig, runs: dict, wanted: tuple[int, ...]) -> dict:
    """With ``--real gan`` every digit run reads the real images from the QGAN runs' split.json
    (``digits.gan_real_ids``), so every sub-run's map names a QGAN snapshot (its last shared
    one); with ``--real draw``, nothing."""
    if cfg.real != "gan":
        return {}
    if cfg.qgan_model not in runs:
        raise AugmentError(
            f"--real gan reads the real images from the {cfg.qgan_model} runs; name them in --runs"
        )
    folders = runs[cfg.qgan_model]
    return {cfg.qgan_model: _snapshot_map(folders, snapshot_epochs(folders, wanted)[-1])}


def _sub_run(cfg: EfficiencyConfig, row: str, out: Path, mapping: dict) -> DigitConfig:
    """The digit run of one row into ``out``, its generated images from ``mapping``."""
    out.mkdir(parents=True, exist_ok=True)
    path = ""
    if mapping:
        (out / "map.json").write_text(json.dumps(mapping, indent=1) + "\n")
        path = str(out / "map.json")
    fields = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(DigitConfig)}
    return DigitConfig(
        **(fields | {"rows": row, "out": str(out), "generated": ""}) | {"generated_map": path}
    )


def _read_runs(path: str, digits: tuple[str, ...]) -> dict[str, dict[str, Path]]:
    file = Path(path)
    try:
        raw = json.loads(file.read_text())
        runs = {m: {str(d): file.parent / f for d, f in per.items()} for m, per in raw.items()}
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise AugmentError(
            f"cannot read --runs {file} ({type(exc).__name__}); "
            "want JSON {model: {digit: run folder}}"
        ) from None
    for model, folders in runs.items():
        missing = [d for d in digits if d not in folders]
        if missing:
            raise AugmentError(f"--runs: {model} has no run of digit(s) {missing}")
        runs[model] = {d: folders[d] for d in digits}
    return runs


def _cells(out: Path) -> list[dict]:
    from qgan.augmentation.cells import CellStore

    return CellStore(out / "cells.jsonl").records()


def _point(
    model: str, epoch: int, snapshot: Path, records: list[dict], row: str, none: list[dict]
) -> dict:
    """One snapshot's row: its step and generator size, mean and median accuracy, paired Δ."""
    from qgan.augmentation.sources import generator_record

    record = generator_record(snapshot)
    accuracy = by_seed(records, row, "accuracy")
    result = paired(accuracy, by_seed(none, "none", "accuracy"))
    values = list(accuracy.values())
    return {
        "model": model,
        "epoch": epoch,
        "step": record.get("step", -1),
        "n_params": record.get("n_params", -1),
        "n_seeds": len(values),
        "accuracy_mean": statistics.fmean(values) if values else float("nan"),
        "accuracy_median": statistics.median(values) if values else float("nan"),
        "median_delta": result.median,
        "wilcoxon_p": result.p,
    }


def default_target(none: list[dict]) -> float:
    """The none row's median test accuracy minus 0.01 (issue 15's default target)."""
    values = list(by_seed(none, "none", "accuracy").values())
    if not values:
        raise AugmentError("the none row has no finished cell; nothing to set a target by")
    return statistics.median(values) - 0.01


def steps_to_target(curve: list[dict], target: float) -> dict | None:
    """The first snapshot (by step) whose mean accuracy reaches ``target``; None if none does."""
    return next(
        (p for p in sorted(curve, key=lambda p: p["step"]) if p["accuracy_mean"] >= target), None
    )


def write_efficiency(out: Path, curves: list[dict], none: list[dict], target: float = 0.0) -> Path:
    """``efficiency.md`` (summary per model, then every snapshot) and ``efficiency.csv``."""
    given = target > 0
    target = target if given else default_target(none)
    how = "given" if given else "the none row's median - 0.01"
    text = "# Efficiency of the digit GANs (arXiv:2505.24780)\n\n" + "".join(
        f"- {line}\n"
        for line in (
            f"target: mean HQCNN test accuracy over the seeds >= {target:.3f} ({how}); "
            f"none row: {len(none)} seeds",
            "steps to target: generator training steps of the first snapshot whose general row "
            "reaches it (the paper: ~60% fewer for the QGAN than the DCGAN)",
            "generator parameters: trainable, the trainer's count (the paper: the QGAN has "
            "about half the DCGAN's)",
            "median Δ vs none and Wilcoxon p: per seed against the none row "
            "(qgan.augmentation.paired); with fewer than 6 seeds p cannot go below 0.05",
        )
    )
    header = ["model", "generator parameters", "steps to target", "best mean accuracy"]
    text += "\n" + markdown(header, _summary(curves, target))
    header = ["model", "epoch", "step", "seeds", "mean accuracy", "median accuracy"]
    header += ["median Δ vs none", "Wilcoxon p"]
    rows = [
        [p["model"], str(p["epoch"]), str(p["step"]), str(p["n_seeds"])]
        + [f"{p['accuracy_mean']:.3f}", f"{p['accuracy_median']:.3f}"]
        + [f"{p['median_delta']:+.3f}", f"{p['wilcoxon_p']:.3g}"]
        for p in curves
    ]
    text += "\n## Every snapshot\n\n" + markdown(header, rows)
    (out / "efficiency.md").write_text(text)
    _csv(out / "efficiency.csv", curves)
    return out / "efficiency.md"


def _summary(curves: list[dict], target: float) -> list[list[str]]:
    """One line per model; with two models, a last line of their ratios (first / second)."""
    lines, found = [], []
    for model in dict.fromkeys(p["model"] for p in curves):
        curve = [p for p in curves if p["model"] == model]
        hit = steps_to_target(curve, target)
        last = max(p["step"] for p in curve)
        reached = f"{hit['step']} (epoch {hit['epoch']})" if hit else f"not by step {last}"
        best = max(p["accuracy_mean"] for p in curve)
        lines.append([model, f"{curve[0]['n_params']:,}", reached, f"{best:.3f}"])
        found.append((model, curve[0]["n_params"], hit["step"] if hit else None))
    if len(found) == 2:
        (a, pa, sa), (b, pb, sb) = found
        steps = f"{sa / sb:.2f}" if sa is not None and sb else "—"
        lines.append([f"ratio {a} / {b}", f"{pa / pb:.2f}" if pb > 0 else "—", steps, ""])
    return lines


def _csv(path: Path, curves: list[dict]) -> None:
    import csv

    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(curves[0]) if curves else ["model"])
        writer.writeheader()
        writer.writerows(curves)
