"""``python -m qgan.sample``: generated images from a checkpoint alone (``qgan.models.sampling``).

python -m qgan.sample --checkpoint runs/hybridq-isic2019-MEL --n 1000 --out samples/mel
"""

from __future__ import annotations

import argparse
import sys

from qgan.models.quantum import SIMULATORS
from qgan.models.sampling import sample


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m qgan.sample", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    parser.add_argument(
        "--checkpoint", required=True, help="last.pt, an epochNNN.pt snapshot or a run folder"
    )
    parser.add_argument("--n", type=int, default=1000, help="number of images")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="seed of the noise")
    parser.add_argument("--batch-size", type=int, default=64, help="images per generator call")
    parser.add_argument(
        "--sim", choices=SIMULATORS, default=None,
        help="quantum simulator; None: the checkpoint's",
    )  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        out = sample(args.checkpoint, args.n, args.out, args.seed, args.batch_size, args.sim)
    except (ValueError, FileNotFoundError, OSError) as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"{args.n} images in {out}")


if __name__ == "__main__":
    main()
