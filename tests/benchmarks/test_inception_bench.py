"""Smoke test of the Inception benchmark: one JSON line with every setting, ratios to the chosen.

A fixed average-pooling map stands in for Inception (the figures come from running the
benchmark itself); the settings it compares must still run and be reported.
"""

import json

import pytest
from torch import nn

import benchmarks.inception_bench as bench
from qgan.evaluation.features import FeatureNet


def _stand_in(*args, **kwargs) -> FeatureNet:
    module = nn.Sequential(nn.AdaptiveAvgPool2d(4), nn.Flatten()).eval()
    return FeatureNet("inception", "avgpool4", module, unit_range=True, dim=48)


def test_one_json_line_with_the_alternatives_as_ratios(monkeypatch, capsys):
    monkeypatch.setattr(bench, "load_inception", _stand_in)
    monkeypatch.delenv("QGAN_DATA", raising=False)
    record = bench.run(batch=4, repeats=1, fid_images=3, data_root="/nonexistent")
    lines = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("#")]
    assert [json.loads(line) for line in lines] == [record]
    assert record["batch"] == 4 and record["images"] == "synthetic"
    assert record["images_per_second"] > 0 and record["weights"] == "torchscript"
    rates, ratios = record["alternatives_images_per_second"], record["alternatives_ratio"]
    assert {"no_grad", "bf16"} <= set(rates) and set(rates) == set(ratios)
    for name, rate in rates.items():
        assert ratios[name] == pytest.approx(rate / record["images_per_second"], rel=0.02)
    assert record["fid_images"] == [3, 3] and abs(record["bf16_fid_change"]) < 1.0
    assert "load_1min_before" in record and "load_1min_after" in record


def test_bad_arguments_exit_with_one_line():
    with pytest.raises(SystemExit, match="^error: --batch must be at least 1$"):
        bench.main(["--batch", "0"])
    with pytest.raises(SystemExit, match="^error: --repeats must be at least 1$"):
        bench.main(["--repeats", "0"])
