"""report.json and report.md of a hardware run: what ran where, how, for how long, how well.

The JSON holds every figure (job ids, backend, layout and why, shots, mitigation and the Runtime
options it maps to, per-circuit two-qubit count / depth / SWAPs / estimated fidelity, times,
agreement with the simulator, real-image metrics); the Markdown is the same for a person.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

AGREEMENT_ROWS = {
    "mean_abs_dz_raw": "mean abs(<Z>_hw - <Z>_sim), raw",
    "mean_abs_dz_mitigated": "mean abs(<Z>_hw - <Z>_sim), mitigated",
    "max_abs_dz_mitigated": "max abs(<Z>_hw - <Z>_sim), mitigated",
    "image_mse_raw": "image MSE vs simulator, from raw <Z>",
    "image_mse": "image MSE vs simulator, from mitigated <Z>",
}


def write_report(report: dict, out: Path) -> tuple[Path, Path]:
    """Write ``report`` as report.json and report.md in ``out``; returns both paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "report.json"
    json_path.write_text(json.dumps(report, indent=2, default=_plain) + "\n")
    md_path = out / "report.md"
    md_path.write_text("\n".join(markdown(report)) + "\n")
    return json_path, md_path


def markdown(r: dict) -> list[str]:
    """The report as Markdown lines."""
    lines = [
        f"# Hardware inference on {r['backend']}",
        "",
        f"- checkpoint: `{r['checkpoint']}` (step {r['step']}), noise U[0, {r['bound']:.4g})",
        f"- {r['n']} images, seed {r['seed']}, {r['shots']} shots per circuit and image",
        f"- mitigation: **{r['mitigation']}** ({r['executor']})",
        f"- circuits: {'separate sub-generators' if r['separate'] else 'one wide circuit'}, "
        f"optimization level {r['optimization_level']}",
        f"- time: {_times(r['seconds'])}",
        "",
        "## Jobs",
        "",
        "| chunk | images | job | from |",
        "|---|---|---|---|",
    ]
    for j in r["jobs"]:
        lines.append(
            f"| {j['chunk']} | {j['rows'][0]}-{j['rows'][1] - 1} | "
            f"{j['job_id'] or '-'} | {j['source']} |"
        )
    lines += ["", "## Layout: what was chosen and why", "", "```", r["layout"]["text"], "```", ""]
    lines += _circuit_table(r["circuits"])
    lines += [
        "",
        "## Agreement with the simulator (same noise, exact <Z>)",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    lines += [
        f"| {label} | {r['agreement'][k]:.4g} |"
        for k, label in AGREEMENT_ROWS.items()
        if k in r["agreement"]
    ]
    lines += _real_table(r["real"])
    lines += ["", "## Notes", ""] + [f"- {note}" for note in r["notes"]]
    return lines


def _circuit_table(circuits: list[dict]) -> list[str]:
    rows = [
        "## Circuits",
        "",
        "| circuit | 2q gates (logical) | depth | SWAPs | est. fidelity | transpile s |",
        "|---|---|---|---|---|---|",
    ]
    for c in circuits:
        gates = f"{c['two_qubit_gates']} ({c['logical_two_qubit_gates']})"
        rows.append(
            f"| {c['name']} | {gates} | {c['depth']} | {c['swaps']} | {c['fidelity']:.3e} | "
            f"{c['seconds']:.2f} |"
        )
    return rows


def _real_table(real: dict) -> list[str]:
    """Inception FID/KID, derm-FID/KID and SSIM of each image set and of the real floor."""
    if not real:
        return []
    from qgan.evaluation.report import FID_KID, FID_KID_TITLE, SSIM, quality_table
    from qgan.evaluation.scoring import FLOOR

    records = [
        {"label": name, "model": "real" if name == FLOOR else name, "cls": ""} | m
        for name, m in real.items()
    ]
    table = quality_table(records, [""], FID_KID + SSIM, FID_KID_TITLE, "images", counts=False)
    return ["", "## Against the real test images", "", *table]


def _num(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def _times(seconds: dict) -> str:
    return ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())


def _plain(x):
    """JSON for numpy scalars and arrays."""
    return x.tolist() if hasattr(x, "tolist") else str(x)
