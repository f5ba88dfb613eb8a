"""Smoke test of the noisy-inference benchmark on a tiny problem: one JSON line with both paths'
times, and the fast path agreeing with Aer's within shot noise on the same images."""

import json

import pytest

from benchmarks.noisy_inference_bench import BenchConfig, main, run

TINY = {
    "backend": "fake_jakarta",
    "n": 6,
    "baseline_n": 2,
    "shots": 2048,
    "chunk": 4,
    "n_sub": 2,
    "n_qubits": 3,
    "n_layers": 1,
}


def test_one_line_with_both_paths(capsys):
    record = run(BenchConfig(**TINY))
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [record]
    for name in ("fast", "today"):
        assert record[f"{name}_wall_s"] > 0 and record[f"{name}_cpu_s"] > 0
        assert len(record[f"{name}_loadavg_1min_before_after"]) == 2
    assert record["images"] == 6 and record["mitigation"] == "readout"
    assert record["speedup_cpu"] > 0
    # the two paths estimate the same <Z>: their difference is shot noise, not a bias
    assert record["mean_abs_dz_fast_vs_today"] < 2 * record["expected_from_shot_noise"]


def test_bad_settings_fail_in_one_line():
    with pytest.raises(SystemExit, match="must be >= 1") as err:
        main(["--n", "0"])
    assert "\n" not in str(err.value)
