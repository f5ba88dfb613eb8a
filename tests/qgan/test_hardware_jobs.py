"""The job ledger and chunk files of a hardware run, with a stand-in asynchronous executor."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qgan.hardware.errors import JobFailed
from qgan.hardware.jobs import Chunk, Ledger, chunks, run_chunks


def test_chunks_cover_the_rows_once():
    assert [(c.start, c.stop) for c in chunks(10, 4)] == [(0, 4), (4, 8), (8, 10)]
    assert [c.index for c in chunks(3, 8)] == [0]


def test_results_round_trip_and_stay_with_their_plan(tmp_path):
    ledger = Ledger(tmp_path, "plan-a")
    chunk = Chunk(1, 4, 6)
    raw, mitigated = np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[0.5, 0.6], [0.7, 0.8]])
    ledger.save(chunk, raw, mitigated, job_id="job-7")
    got = ledger.load(chunk)
    np.testing.assert_array_equal(got[0], raw)
    np.testing.assert_array_equal(got[1], mitigated)
    assert ledger.latest(chunk)["event"] == "done" and ledger.latest(chunk)["job_id"] == "job-7"
    other = Ledger(tmp_path, "plan-b")
    assert other.load(chunk) is None and other.events() == []  # never mixed into another plan
    assert ledger.load(Chunk(1, 4, 5)) is None  # other rows
    ledger.result_path(chunk).write_bytes(b"half a file")
    assert ledger.load(chunk) is None


def test_pending_until_done_or_failed(tmp_path):
    ledger, chunk = Ledger(tmp_path, "p"), Chunk(0, 0, 2)
    assert ledger.pending_job(chunk) is None
    ledger.record("submitted", chunk, job_id="a")
    assert ledger.pending_job(chunk) == "a"
    ledger.record("failed", chunk, job_id="a", error="boom")
    assert ledger.pending_job(chunk) is None
    lines = [json.loads(s) for s in ledger.path.read_text().splitlines()]
    assert [x["event"] for x in lines] == ["submitted", "failed"]
    assert all(x["plan"] == "p" and x["rows"] == [0, 2] for x in lines)


class _Async:
    """Asynchronous executor stand-in: values are the row numbers; can fail one job."""

    asynchronous = True

    def __init__(self, ledger: Ledger, fail: str | None = None):
        self.ledger, self.fail, self.submitted, self.collected = ledger, fail, [], []

    def submit(self, chunk, values):
        self.submitted.append(chunk.index)
        return f"job-{chunk.index}-{len(self.submitted)}"

    def collect(self, job_id):
        assert job_id in self.ledger.path.read_text()  # recorded before anyone waits
        self.collected.append(job_id)
        if job_id == self.fail:
            raise JobFailed(f"{job_id} failed")
        index = int(job_id.split("-")[1])
        rows = np.arange(index * 2, index * 2 + 2, dtype=float)[:, None]  # (P, 1)
        return rows, -rows


def _values(chunk):
    return [np.zeros((chunk.size, 1))]


def test_every_chunk_is_submitted_before_the_first_wait_and_failures_are_marked(tmp_path):
    ledger = Ledger(tmp_path, "p")
    work = chunks(6, 2)
    executor = _Async(ledger, fail="job-1-2")
    done = []
    with pytest.raises(JobFailed):
        for c, raw, _, _ in run_chunks(work, _values, executor, ledger):
            done.append((c.index, raw[:, 0].tolist()))
    assert executor.submitted == [0, 1, 2] and done == [(0, [0.0, 1.0])]
    assert ledger.latest(work[1])["event"] == "failed"
    assert ledger.pending_job(work[2]) == "job-2-3"
    again = _Async(ledger)
    sources = [s for *_, s in run_chunks(work, _values, again, ledger)]
    assert again.submitted == [1]  # only the failed chunk; chunk 2's job is collected by id
    assert sources == ["cache", "job-1-1", "job-2-3"]
