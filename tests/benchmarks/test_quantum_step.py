"""Smoke test of the generator-step benchmark: it runs and prints one JSON record per setting.

Speed targets are checked by running the benchmark, not here (timed tests are flaky on shared
machines); this only keeps the script working.
"""

import json

from benchmarks.quantum_step import BenchConfig, main, run


def test_records_have_the_documented_fields(capsys):
    records = run(BenchConfig(batch=2, repeats=1, sims="engine,engine-jacobian,fast,fast-jacobian"))
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert printed == records
    assert [r["name"] for r in records] == ["engine", "engine-jacobian", "fast", "fast-jacobian"]
    for rec in records:
        assert rec["batch"] == 2
        assert rec["seconds"] > 0
        assert rec["ratio_to_engine"] == round(rec["seconds"] / records[0]["seconds"], 2)


def test_cli_parses_flags(capsys):
    main(["--batch", "2", "--repeats", "1", "--sims", "engine"])
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["name"] == "engine"
