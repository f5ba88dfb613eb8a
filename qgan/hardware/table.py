"""HybridQ's Section 4.4 as a table: noisy images beside the same model's simulator images.

``python -m qgan.hardware.table hardware/*/report.json`` reads the report.json of hardware runs
(``python -m qgan.hardware_infer``, one per class, backend and mitigation) and prints one
Markdown row per run: Inception FID/KID and derm-FID/KID of the simulator's images, of the
noisy images as they were mitigated and, where the run kept them, of the same shots
unmitigated (``hardware_raw``), each FID with its ratio to the simulator's. The paper's figures
(IBM Brisbane against the simulator, Inception FID): MEL 23.25 / 14.93, NV 24.76 / 21.76,
BCC 15.59 / 13.29.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

SETS = (("simulator", "sim"), ("hardware_raw", "noisy raw"), ("hardware", "noisy mitigated"))
METRICS = (("fid", "Inception FID"), ("derm_fid", "derm-FID"))


def rows(reports: list[dict]) -> list[str]:
    """The Markdown table of ``reports`` (report.json contents), sorted by class and backend."""
    head = ["class", "backend", "mitigation", "images"]
    for _, title in METRICS:
        head += [f"{title} {label}" for _, label in SETS] + [f"{title} ratio raw / mitigated"]
    head += ["KID x 10^3 sim / raw / mitigated", "mean abs dZ raw / mitigated"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in sorted(reports, key=lambda r: (r.get("cls", ""), r["backend"], r["mitigation"])):
        real, agree = r.get("real") or {}, r.get("agreement") or {}
        cells = [r.get("cls") or "?", r["backend"], r["mitigation"], str(r["n"])]
        for key, _ in METRICS:
            values = [real.get(name, {}).get(key) for name, _ in SETS]
            cells += [_num(v) for v in values]
            cells.append(f"{_ratio(values[1], values[0])} / {_ratio(values[2], values[0])}")
        kid = [real.get(name, {}).get("kid_mean") for name, _ in SETS]
        cells.append(" / ".join(_num(None if k is None else 1e3 * k) for k in kid))
        cells.append(
            f"{_num(agree.get('mean_abs_dz_raw'), 4)} / "
            f"{_num(agree.get('mean_abs_dz_mitigated'), 4)}"
        )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _num(x, digits: int = 2) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _ratio(x, base) -> str:
    """x / base as ``1.56x``, or - where either is missing."""
    return "-" if x is None or not base else f"{x / base:.2f}x"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m qgan.hardware.table", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("reports", nargs="+", help="report.json files of hardware runs")
    args = parser.parse_args(argv)
    reports = []
    for path in map(Path, args.reports):
        try:
            reports.append(json.loads(path.read_text()))
        except (OSError, ValueError) as exc:
            raise SystemExit(
                f"error: cannot read {path} ({exc}); pass report.json files of "
                "python -m qgan.hardware_infer runs"
            ) from None
    print("\n".join(rows(reports)))


if __name__ == "__main__":
    main()
