"""The job ledger of a hardware run: jobs.jsonl and one result file per finished chunk.

The noise vectors are split into chunks of ``chunk`` rows; each chunk is one job (all its
parameter sets in one pub per circuit). A Runtime job's id is appended to ``<out>/jobs.jsonl``
the moment it is submitted, before anything waits for it; a finished chunk's <Z> values go to
``<out>/chunks/chunk_NNNN.npz`` (written atomically) and a ``done`` line follows. So a run that
is stopped (Ctrl-C, ``--timeout``, a crash) and started again collects its submitted jobs by id
(``QiskitRuntimeService.job(job_id)``) and loads its finished chunks instead of paying for them
twice; a local simulation resumes at its first unfinished chunk. A ``failed`` line marks a chunk
to submit again.

Every line and file carries the run's plan fingerprint (``qgan.hardware.plan``), so results of
another configuration are never mixed in.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from tqdm import tqdm

from qgan.artifacts import atomic_path
from qgan.hardware.errors import JobFailed

LEDGER = "jobs.jsonl"
CHUNKS = "chunks"


@dataclass(frozen=True)
class Chunk:
    """Rows [start, stop) of the noise matrix, run as one job."""

    index: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


def chunks(n: int, size: int) -> list[Chunk]:
    """``n`` rows in chunks of at most ``size``."""
    return [Chunk(i, s, min(s + size, n)) for i, s in enumerate(range(0, n, size))]


class Ledger:
    """jobs.jsonl and chunks/ of one output folder, for one plan fingerprint."""

    def __init__(self, out: Path, plan: str):
        self.out, self.plan = Path(out), plan
        self.path = self.out / LEDGER

    def record(self, event: str, chunk: Chunk, **fields) -> dict:
        """Append one event line (flushed and synced: it must survive a crash right after)."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        line = {
            "event": event,
            "chunk": chunk.index,
            "rows": [chunk.start, chunk.stop],
            "plan": self.plan,
            "time": stamp,
        } | fields
        self.out.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(json.dumps(line) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return line

    def events(self) -> list[dict]:
        """Every line of this plan, in order (lines of other plans are ignored)."""
        if not self.path.exists():
            return []
        lines = [json.loads(s) for s in self.path.read_text().splitlines() if s.strip()]
        return [line for line in lines if line.get("plan") == self.plan]

    def latest(self, chunk: Chunk) -> dict | None:
        """The chunk's last event line, or None."""
        mine = [e for e in self.events() if e["chunk"] == chunk.index]
        return mine[-1] if mine else None

    def pending_job(self, chunk: Chunk) -> str | None:
        """The id of a submitted job not yet collected (nor failed), or None."""
        last = self.latest(chunk)
        return last["job_id"] if last and last["event"] == "submitted" else None

    def result_path(self, chunk: Chunk) -> Path:
        return self.out / CHUNKS / f"chunk_{chunk.index:04d}.npz"

    def save(self, chunk: Chunk, raw: np.ndarray, mitigated: np.ndarray, **fields) -> None:
        """Write the chunk's (P, O) raw and mitigated <Z>, then its ``done`` line."""
        path = self.result_path(chunk)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(
                f,
                raw=raw,
                mitigated=mitigated,
                plan=self.plan,
                rows=np.array([chunk.start, chunk.stop]),
            )
        self.record("done", chunk, file=str(path.relative_to(self.out)), **fields)

    def load(self, chunk: Chunk) -> tuple[np.ndarray, np.ndarray] | None:
        """(raw, mitigated) of a finished chunk of this plan, or None."""
        path = self.result_path(chunk)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                same = str(z["plan"]) == self.plan and list(z["rows"]) == [chunk.start, chunk.stop]
                return (z["raw"], z["mitigated"]) if same else None
        except (OSError, ValueError, KeyError):
            return None  # half a file from another writer: run the chunk again


class Executor(Protocol):
    """Runs chunks: ``asynchronous`` ones submit jobs and collect them by id later."""

    asynchronous: bool

    def run(self, chunk: Chunk, values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]: ...

    def submit(self, chunk: Chunk, values: list[np.ndarray]) -> str: ...

    def collect(self, job_id: str) -> tuple[np.ndarray, np.ndarray]: ...


def run_chunks(
    work: list[Chunk],
    values: Callable[[Chunk], list[np.ndarray]],
    executor: Executor,
    ledger: Ledger,
) -> Iterator[tuple[Chunk, np.ndarray, np.ndarray, str]]:
    """Each chunk's (chunk, raw (P, O), mitigated (P, O), source), through the ledger.

    ``source`` says where the values came from: ``cache`` (finished before), ``run`` (local),
    or the Runtime job id. Asynchronous executors first submit every chunk that has neither a
    result nor a pending job (recording each id at once), then collect them in order.
    """
    cached = {c.index: ledger.load(c) for c in work}
    if executor.asynchronous:
        jobs = {}
        for c in work:
            if cached[c.index] is None:
                jobs[c.index] = ledger.pending_job(c) or _submit(executor, c, values, ledger)
    bar = tqdm(work, desc="chunks", unit="chunk", dynamic_ncols=True, disable=len(work) <= 1)
    for c in bar:
        if cached[c.index] is not None:
            yield c, *cached[c.index], "cache"
            continue
        start = time.perf_counter()
        if executor.asynchronous:
            source = jobs[c.index]
            try:
                raw, mitigated = executor.collect(source)
            except JobFailed as exc:
                ledger.record("failed", c, job_id=source, error=str(exc))
                raise
        else:
            source = "run"
            raw, mitigated = executor.run(c, values(c))
        seconds = round(time.perf_counter() - start, 2)
        ledger.save(
            c, raw, mitigated, job_id=source if executor.asynchronous else None, seconds=seconds
        )
        yield c, raw, mitigated, source


def _submit(executor: Executor, chunk: Chunk, values, ledger: Ledger) -> str:
    job_id = executor.submit(chunk, values(chunk))
    ledger.record("submitted", chunk, job_id=job_id)
    return job_id
