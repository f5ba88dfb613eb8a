"""Smoke test of the transpile benchmark on a tiny generator: records, ratios, CLI errors.

The real figures (100-qubit circuit, levels 1-3) come from running the benchmark, not from here.
"""

import json

import pytest

from benchmarks.transpile_bench import BenchConfig, main, run

TINY = {"n_sub": 2, "n_qubits": 4, "n_layers": 1, "repeats": 1}


def test_records_have_the_documented_fields(capsys):
    records = run(BenchConfig(levels="1,3", **TINY))
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert printed == records
    assert [(r["mode"], r["method"]) for r in records] == [
        (mode, method) for mode in ("wide", "separate") for method in ("ours", "level1", "level3")
    ]
    for rec in records:
        assert rec["logical_two_qubit"] == 2 * 3
        assert rec["seconds"] > 0 and rec["log_fidelity"] < 0
        level3 = next(r for r in records if r["mode"] == rec["mode"] and r["method"] == "level3")
        assert rec["time_vs_level3"] == pytest.approx(rec["seconds"] / level3["seconds"], rel=1e-2)
    ours = [r for r in records if r["method"] == "ours"]
    assert all(r["swaps"] == 0 and r["two_qubit"] == r["logical_two_qubit"] for r in ours)
    assert ours[0]["layout_lines"] == 2 and ours[1]["layout_lines"] == 1


def test_cli_unknown_backend_is_one_line(capsys):
    with pytest.raises(SystemExit, match="unknown fake backend 'fake_nowhere'") as err:
        main(["--backend", "fake_nowhere"])
    assert "\n" not in str(err.value.code)


def test_cli_runs_one_level(capsys):
    main(["--levels", "1", "--modes", "wide", "--n-sub", "2", "--n-qubits", "3", "--repeats", "1"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["method"] for r in lines] == ["ours", "level1"]
    assert lines[0]["time_vs_level3"] is None
