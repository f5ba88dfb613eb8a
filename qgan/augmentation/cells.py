"""Resumable result cells: one JSON line per finished (row, alpha, seed), appended at once.

An interrupted sweep loses at most the cell it was in: a rerun reads ``cells.jsonl``, skips every
cell already there and runs the rest (StyleGAN2-ADA's JSON-lines habit). A half-written last line
(the process killed mid-write) is ignored, so that cell simply runs again. Several runs may
share one folder (one model each, say); a cell two of them finished is counted once, its first
record, so no seed weighs twice in a table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from qgan.augmentation.config import write_or_check_config
from qgan.data import LesionData, load_train_test


@dataclass(frozen=True)
class Cell:
    """One classifier training: a table row (model or reference), its alpha, its seed."""

    row: str
    alpha: float
    seed: int

    @property
    def key(self) -> str:
        return f"{self.row}|{self.alpha:.6f}|{self.seed}"


class CellStore:
    """``cells.jsonl`` of a run folder."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        out: dict[str, dict] = {}
        for line in self.path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut short by a kill: that cell runs again
            out.setdefault(record.get("key", f"#{len(out)}"), record)  # first record of a key
        return list(out.values())

    def done(self) -> set[str]:
        return {r["key"] for r in self.records() if "key" in r}

    def append(self, record: dict) -> None:
        # after a line cut short by a kill, start a new line, or this record would be lost too
        torn = self.path.exists() and self.path.stat().st_size > 0 and not self._ends_in_newline()
        with self.path.open("a") as f:
            f.write(("\n" if torn else "") + json.dumps(record) + "\n")
            f.flush()

    def _ends_in_newline(self) -> bool:
        with self.path.open("rb") as f:
            f.seek(-1, 2)
            return f.read(1) == b"\n"


def run_cells(
    cells: Iterable[Cell], work: Callable[[Cell], dict], store: CellStore, desc: str = "cells"
) -> list[dict]:
    """Run ``work`` on every cell not yet in ``store``, appending each result as it finishes.

    Returns every record of the store's cells (old and new). ``work`` returns a dict of metrics;
    the cell's row, alpha, seed, key and seconds are added here.
    """
    cells = list(cells)
    done = store.done()
    todo = [c for c in cells if c.key not in done]
    if len(todo) < len(cells):
        print(f"resuming: {len(cells) - len(todo)} of {len(cells)} cells already in {store.path}")
    for cell in tqdm(todo, desc=desc, unit="cell", dynamic_ncols=True):
        start = time.perf_counter()
        record = work(cell)
        record.update(key=cell.key, row=cell.row, alpha=cell.alpha, seed=cell.seed)
        record["seconds"] = round(time.perf_counter() - start, 2)
        store.append(record)
    wanted = {c.key for c in cells}
    return [r for r in store.records() if r.get("key") in wanted]


def open_experiment(cfg) -> tuple[Path, LesionData, LesionData, CellStore]:
    """(output folder, real training side, real test side, cell store) of a resolved
    ``LesionConfig`` or ``DigitConfig``: its config is written to the folder, or checked against
    the cells already there (``write_or_check_config``), and the real split is the GANs'."""
    out = Path(cfg.out)
    write_or_check_config(cfg, out)
    train, test, _ = load_train_test(cfg.data_config())
    return out, train, test, CellStore(out / "cells.jsonl")
