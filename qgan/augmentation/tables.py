"""Tables and plots from result cells: mean and std over seeds, Markdown, CSV, Fig. 4b.

Every table starts with notes saying which classifier, how many seeds, epochs and images it used
(the experiment passes them in), and every number is "mean ± std" over the seeds of its row. The
last columns compare each row with the no-augmentation row seed by seed
(``qgan.augmentation.paired``): median difference, Wilcoxon p, wins/ties/losses, and how many of
the row's fits collapsed (ended near chance).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qgan.augmentation.paired import MIN_PAIRS, by_seed, collapses, paired
from qgan.augmentation.scores import mean_std

PAIRED_HEADER = ["median Δ vs none", "Wilcoxon p", "wins/ties/losses", "collapses"]

NAMES = {
    "none": "no augmentation",
    "classical": "classical augmentation",
    "rotation": "rotation",
    "dcgan": "DCGAN",
    "mosaiq": "MosaiQ",
    "hybridq": "HybridQ",
    "dcgan-general": "DCGAN-general",
    "qgan-general": "QGAN-general",
    "qgan-customized": "QGAN-customized",
    "qgan-customized-even": "QGAN-customized, errors evened (ablation)",
}


def display(row: str) -> str:
    base, _, classifier = row.partition("@")  # a refine row: "hybridq@resnet18"
    name = NAMES.get(base, base)
    return f"{name} ({classifier})" if classifier else name


def summarize(records: Sequence[dict], metrics: Sequence[str]) -> list[dict]:
    """One summary per (row, alpha): n_seeds, seeds, and ``<m>_mean`` / ``<m>_std`` per metric."""
    groups: dict[tuple[str, float], list[dict]] = defaultdict(list)
    for r in records:
        groups[(r["row"], float(r["alpha"]))].append(r)
    out = []
    for (row, alpha), members in groups.items():
        summary = {"row": row, "alpha": alpha, "n_seeds": len(members)}
        summary["seeds"] = sorted(int(m["seed"]) for m in members)
        for metric in metrics:
            values = [m[metric] for m in members if metric in m]
            summary[f"{metric}_mean"], summary[f"{metric}_std"] = mean_std(values)
        out.append(summary)
    return sorted(out, key=lambda s: (s["row"], s["alpha"]))


def with_paired(
    summary: dict,
    records: Sequence[dict],
    metric: str,
    collapse: tuple[str, float],
    reference: str = "none",
) -> dict:
    """``summary`` plus its paired comparison with the ``reference`` row on ``metric`` over the
    seeds both ran (``median_delta``, ``wilcoxon_p``, ``wins``, ``ties``, ``losses``,
    ``paired_note``) and ``collapses``: its seeds whose ``collapse`` = (metric, threshold) fell
    below the threshold."""
    mine = by_seed(records, summary["row"], metric, summary["alpha"])
    result = paired(mine, by_seed(records, reference, metric))
    fell = collapses(by_seed(records, summary["row"], collapse[0], summary["alpha"]), collapse[1])
    out = dict(summary, collapses=fell, paired_seeds=len(result.seeds), reference=reference)
    out.update(median_delta=result.median, wilcoxon_p=result.p, wins=result.wins)
    return out | {"ties": result.ties, "losses": result.losses, "paired_note": result.note}


def paired_cells(s: dict) -> list[str]:
    """The four paired columns of a summary from :func:`with_paired` (none's own: dashes)."""
    collapsed = f"{s['collapses']} of {s['n_seeds']}"
    if s["row"] == s["reference"] or s["paired_seeds"] == 0:
        return ["—", "—", "—", collapsed]
    # fewer than MIN_PAIRS non-zero differences: p cannot reach 0.05, say so in the cell
    few = " (n<6)" if 0 < s["wins"] + s["losses"] < MIN_PAIRS else ""
    p = f"{s['wilcoxon_p']:.3g}{few}"
    return [f"{s['median_delta']:+.3f}", p, f"{s['wins']}/{s['ties']}/{s['losses']}", collapsed]


def best_alpha(summaries: Sequence[dict], row: str, select_by: str) -> dict | None:
    """The summary of ``row`` with the highest mean ``select_by`` (ties: the smaller alpha)."""
    top = best_alphas(summaries, row, select_by, 1)
    return top[0] if top else None


def best_alphas(summaries: Sequence[dict], row: str, select_by: str, k: int) -> list[dict]:
    """The ``k`` summaries of ``row`` with the highest mean ``select_by``, best first (ties:
    the smaller alpha first)."""
    mine = [s for s in summaries if s["row"] == row]
    return sorted(mine, key=lambda s: (-s[f"{select_by}_mean"], s["alpha"]))[:k]


def pm(summary: dict, metric: str, digits: int = 3) -> str:
    """``"mean ± std"`` of ``metric`` in ``summary``."""
    return f"{summary[f'{metric}_mean']:.{digits}f} ± {summary[f'{metric}_std']:.{digits}f}"


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_csv(path: Path, summaries: Sequence[dict], label: dict[str, str] | None = None) -> Path:
    """One CSV line per summary; ``label`` maps rows to display names (column ``method``)."""
    if not summaries:
        path.write_text("")
        return path
    fields = ["method"] + [k for k in summaries[0] if k != "seeds"] + ["seeds"]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for s in summaries:
            method = (label or {}).get(s["row"], display(s["row"]))
            writer.writerow({**s, "method": method, "seeds": " ".join(map(str, s["seeds"]))})
    return path


# ----------------------------------------------------------------------------- lesions
LESION_METRICS = ("accuracy", "macro_precision", "macro_recall")
LESION_COLLAPSE_MARGIN = 0.05  # macro recall below 1/K + this: the classifier ~ one class


def lesion_rows(summaries: Sequence[dict], models: Sequence[str], select_by: str) -> list[dict]:
    """Table 2's rows: the two references, then each model at its best alpha."""
    rows = [s for ref in ("none", "classical") for s in summaries if s["row"] == ref]
    for model in models:
        best = best_alpha(summaries, model, select_by)
        if best is not None:
            rows.append(best)
    return rows


def write_lesion_report(
    out: Path,
    records: Sequence[dict],
    classes: Sequence[str],
    models: Sequence[str],
    select_by: str,
    notes: Sequence[str],
    title: str,
    quality: tuple[list, list] = ([], []),
) -> Path:
    """``table2.md``, ``table2.csv``, ``sweep.csv`` and ``recall_vs_alpha.png`` in ``out``.

    ``quality``: (records, notes) of :func:`qgan.augmentation.quality.pool_quality`, shown after the
    classification tables.
    """
    metrics = [*LESION_METRICS, *(f"recall_{c}" for c in classes)]
    summaries = summarize(records, [*metrics, "n_generated"])
    header = ["method", "alpha", "generated", "seeds", "accuracy", "macro precision"]
    header += ["macro recall", *(f"recall {c}" for c in classes), *PAIRED_HEADER]
    collapse = ("macro_recall", 1 / len(classes) + LESION_COLLAPSE_MARGIN)

    def paired_with(s: dict) -> dict:  # a refine row against none with its own classifier
        _, at, classifier = s["row"].partition("@")
        return with_paired(s, records, select_by, collapse, "none" + at + classifier)

    def line(s: dict, name: str) -> list[str]:
        s = paired_with(s)
        head = [name, f"{s['alpha']:g}", f"{s['n_generated_mean']:.0f}", str(s["n_seeds"])]
        return head + [pm(s, m) for m in metrics] + paired_cells(s)

    refined = sorted(
        (s for s in summaries if "@" in s["row"]),
        key=lambda s: (_order(s["row"].partition("@")[0], models), s["alpha"]),
    )
    summaries = [s for s in summaries if "@" not in s["row"]]
    table = lesion_rows(summaries, models, select_by)
    lesion_note = (
        _paired_note(collapse[1], select_by).replace(
            f"whose {select_by} ended", "whose macro recall ended"
        )
        + f" (1/{len(classes)} classes + {LESION_COLLAPSE_MARGIN:g}: about one class predicted)"
    )
    text = f"# {title}\n\n" + "".join(f"- {n}\n" for n in [*notes, lesion_note]) + "\n"
    text += markdown(header, [line(s, display(s["row"])) for s in table])
    text += "\n## Every alpha\n\n"
    sweep = sorted(summaries, key=lambda s: (_order(s["row"], models), s["alpha"]))
    text += markdown(header, [line(s, display(s["row"])) for s in sweep])
    if refined:
        text += "\n## Retrained with another classifier at each model's best alphas\n\n"
        text += (
            "Same seeds as above; each row against no augmentation with the same classifier.\n\n"
        )
        text += markdown(header, [line(s, display(s["row"])) for s in refined])
    text += quality_section(*quality, classes)
    (out / "table2.md").write_text(text)
    write_csv(out / "table2.csv", [paired_with(s) for s in table + refined])
    write_csv(out / "sweep.csv", sweep)
    plot_recall_vs_alpha(summaries, models, out / "recall_vs_alpha.png", title)
    return out / "table2.md"


def quality_section(records: Sequence[dict], notes: Sequence[str], classes: Sequence[str]) -> str:
    """The generated pools against the real test images: Inception and derm FID/KID side by
    side per class, SSIM diversity, the real-vs-real floor last (``qgan.augmentation.quality``)."""
    if not records:
        return ""
    from qgan.evaluation.report import FID_KID, FID_KID_TITLE, SSIM, quality_table

    named = [r | {"label": display(r["label"])} for r in records]
    lines = ["", "## Generated images against the real test images", ""]
    lines += [f"- {n}" for n in notes] + [""]
    lines += quality_table(
        named, list(classes), FID_KID + SSIM, FID_KID_TITLE, "images", counts=False
    )
    return "\n".join(lines)


def _order(row: str, models: Sequence[str]) -> int:
    fixed = ["none", "classical", *models]
    return fixed.index(row) if row in fixed else len(fixed)


def plot_recall_vs_alpha(
    summaries: Sequence[dict],
    models: Sequence[str],
    path: Path,
    title: str,
    metric: str = "macro_recall",
) -> Path:
    """HybridQ Fig. 4b: recall against alpha per model (alpha 0 is the no-augmentation row)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    none = next((s for s in summaries if s["row"] == "none"), None)
    fig, ax = plt.subplots(figsize=(6, 4))
    for model in models:
        points = sorted((s for s in summaries if s["row"] == model), key=lambda s: s["alpha"])
        points = ([none] if none else []) + [s for s in points if s["alpha"] > 0]
        if len(points) > (1 if none else 0):
            alphas = [0.0 if s is none else s["alpha"] for s in points]
            ax.errorbar(
                alphas,
                [s[f"{metric}_mean"] for s in points],
                yerr=[s[f"{metric}_std"] for s in points],
                marker="o",
                capsize=3,
                label=display(model),
            )
    for ref, style in (("none", ":"), ("classical", "--")):
        s = next((s for s in summaries if s["row"] == ref), None)
        if s is not None:
            ax.axhline(s[f"{metric}_mean"], ls=style, color="gray", label=display(ref))
    ax.set_xlabel(r"share of generated images $\alpha$")
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------- digits
def _paired_note(below: float, metric: str) -> str:
    return (
        f"last four columns: each row against no augmentation on the seeds both ran, {metric} "
        "row minus reference per seed; median, two-sided Wilcoxon signed-rank p (zeros dropped; "
        "'n<6': too few non-zero differences for p < 0.05), wins/ties/losses; collapses: fits "
        f"whose {metric} ended below {below:g}"
    )


def write_digit_report(
    out: Path,
    records: Sequence[dict],
    classes: Sequence[str],
    rows: Sequence[str],
    notes: Sequence[str],
    title: str,
    quality: tuple[list, list] = ([], []),
    collapse_below: float = 0.8,
) -> Path:
    """``table_hqcnn.md`` and ``table_hqcnn.csv`` in ``out``, rows in ``rows``' order; then the
    pools' image quality (``quality``, as in :func:`write_lesion_report`). A fit whose test
    accuracy ends below ``collapse_below`` counts as collapsed."""
    metrics = ["accuracy", *(f"recall_{c}" for c in classes)]
    summaries = summarize(records, [*metrics, "n_generated"])
    header = ["method", "images added", "seeds", "accuracy"]
    header += [f"accuracy digit {c}" for c in classes] + PAIRED_HEADER
    by_row = {s["row"]: s for s in summaries}
    table = [
        with_paired(by_row[r], records, "accuracy", ("accuracy", collapse_below))
        for r in rows
        if r in by_row
    ]
    lines = [
        [display(s["row"]), f"{s['n_generated_mean']:.0f}", str(s["n_seeds"])]
        + [pm(s, m) for m in metrics]
        + paired_cells(s)
        for s in table
    ]
    text = (
        f"# {title}\n\n"
        + "".join(f"- {n}\n" for n in notes + [_paired_note(collapse_below, "accuracy")])
        + "\n"
    )
    text += markdown(header, lines)
    text += _acceptance_section(records, rows, classes)
    text += _rounds_section(records, rows, classes)
    text += quality_section(*quality, classes)
    (out / "table_hqcnn.md").write_text(text)
    write_csv(out / "table_hqcnn.csv", table)
    return out / "table_hqcnn.md"


def _acceptance_section(
    records: Sequence[dict], rows: Sequence[str], classes: Sequence[str]
) -> str:
    """Per customized row, round and class: the confidence filter's candidates allocated,
    examined and accepted (kept), summed over seeds, and the acceptance rate kept / examined."""
    totals: dict[tuple[str, int], np.ndarray] = {}  # (row, round) -> (3, K) allocated/examined/kept
    seeds: dict[tuple[str, int], int] = defaultdict(int)
    for r in records:
        for i, rnd in enumerate(r.get("rounds", [])):
            counts = np.asarray([rnd[k] for k in ("allocated", "examined", "kept")], dtype=float)
            key = (r["row"], i + 1)
            totals[key] = totals.get(key, 0) + counts
            seeds[key] += 1
    if not totals:
        return ""
    lines = []
    for row, rnd in sorted(totals, key=lambda k: (list(rows).index(k[0]), k[1])):
        allocated, examined, kept = totals[(row, rnd)]
        cells = [
            f"{k:.0f} of {e:.0f} ({k / e:.0%}); {a:.0f} wanted" if e else f"0 of 0; {a:.0f} wanted"
            for a, e, k in zip(allocated, examined, kept, strict=True)
        ]
        lines.append([display(row), str(rnd), str(seeds[(row, rnd)]), *cells])
    header = ["method", "round", "seeds", *(f"digit {c}: accepted of examined" for c in classes)]
    return (
        "\n## Confidence filter: generated candidates accepted, per class and round\n\n"
        "Summed over seeds; 'wanted': the round's allocation to the class. Accepted < wanted "
        "with candidates left means the filter, not the pool, held the class back (the per-seed "
        "rounds below show what was left).\n\n" + markdown(header, lines)
    )


def _rounds_section(records: Sequence[dict], rows: Sequence[str], classes: Sequence[str]) -> str:
    """Per seed and round of the customized rows: validation accuracy, allocation, kept."""
    lines = []
    for r in sorted(records, key=lambda r: (list(rows).index(r["row"]), r["seed"])):
        for i, rnd in enumerate(r.get("rounds", [])):
            lines.append(
                [display(r["row"]), str(r["seed"]), str(i + 1)]
                + [" / ".join(f"{v:.2f}" for v in rnd["val_accuracy"])]
                + [" / ".join(f"{v:.2f}" for v in rnd["thresholds"])]
                + [" / ".join(map(str, rnd[k])) for k in ("allocated", "examined", "kept")]
                + [" / ".join(map(str, rnd["left"])) if "left" in rnd else "—"]
            )
    if not lines:
        return ""
    per = f" (digits {' / '.join(classes)})"
    header = ["method", "seed", "round", f"val accuracy{per}", "thresholds", "allocated"]
    header += ["examined", "kept", "left in pool"]
    return "\n## Customized strategy, round by round\n\n" + markdown(header, lines)
