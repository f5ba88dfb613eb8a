"""The Section 4.4 table from hardware runs' report.json: one row per run, FIDs and their ratio
to the simulator's recomputed by hand, and one-line errors for files that are not reports."""

import json

import pytest

from qgan.hardware.table import main, rows


def _report(cls: str, mitigation: str, sim: float, raw: float | None, hw: float) -> dict:
    real = {
        "simulator": {"fid": sim, "kid_mean": 0.01, "derm_fid": 2 * sim},
        "hardware": {"fid": hw, "kid_mean": 0.02, "derm_fid": 2 * hw},
    }
    if raw is not None:
        real["hardware_raw"] = {"fid": raw, "kid_mean": 0.03, "derm_fid": 2 * raw}
    return {
        "cls": cls,
        "backend": "fake_brisbane",
        "mitigation": mitigation,
        "n": 1000,
        "real": real,
        "agreement": {"mean_abs_dz_raw": 0.03, "mean_abs_dz_mitigated": 0.02},
    }


def test_one_row_per_run_with_ratios_to_the_simulator():
    table = rows(
        [_report("NV", "none", 20.0, None, 30.0), _report("MEL", "readout+zne", 10.0, 16.0, 12.5)]
    )
    assert len(table) == 4 and table[0].startswith("| class | backend | mitigation | images |")
    mel = table[2].split(" | ")
    assert mel[0] == "| MEL" and mel[2] == "readout+zne"  # sorted by class
    assert mel[4:8] == ["10.00", "16.00", "12.50", "1.60x / 1.25x"]  # 16/10, 12.5/10
    assert mel[8:12] == ["20.00", "32.00", "25.00", "1.60x / 1.25x"]
    assert "10.00 / 30.00 / 20.00" in table[2]  # KID x 10^3
    nv = table[3].split(" | ")
    assert nv[4:8] == ["20.00", "-", "30.00", "- / 1.50x"]  # no raw set without mitigation


def test_files_that_are_not_reports_fail_in_one_line(tmp_path, capsys):
    good = tmp_path / "report.json"
    good.write_text(json.dumps(_report("BCC", "readout", 5.0, 6.0, 5.5)))
    main([str(good)])
    assert "| BCC | fake_brisbane | readout | 1000 |" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="cannot read .*missing.json") as err:
        main([str(good), str(tmp_path / "missing.json")])
    assert "\n" not in str(err.value)
