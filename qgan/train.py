"""``python -m qgan.train``: train HybridQ, DCGAN or MosaiQ (--model), one GAN per class.

With no arguments it runs a short default that needs no download: ISIC 2019 MEL when
``$QGAN_DATA`` points at the data, else the synthetic set (it says which). ``--resume RUN``
continues a run exactly; of the flags typed with it, only --epochs, --max-steps, --grid and
--data-root may change the run, and any other that differs from the run's is refused in one
line. The library behind it is ``qgan.training`` (``train(cfg)``).
"""

from __future__ import annotations

import dataclasses
import sys

from qgan.config import command, dry_run, from_arguments, one_line_errors, typed_flags
from qgan.training.config import TrainConfig

# The no-argument run: about a minute on a 2-core CPU, enough to see lesions take shape: ~70
# steps of 16 images, the decoder and encoder at 1e-3 (the paper's 2e-4 needs hundreds of steps
# to draw anything; measured on the synthetic set: dark lesions on skin after 72 steps, spread
# 1.16x and contrast 1.41x the training images').
QUICK = {"epochs": 6, "limit": 256, "batch_size": 16, "lr_classical": 1e-3}


def _parser():
    return command("qgan.train", __doc__, TrainConfig)


def parse(argv: list[str]) -> TrainConfig:
    cfg = from_arguments(_parser().parse_args(argv), TrainConfig)
    if not argv:
        cfg = dataclasses.replace(cfg, **QUICK)
        print(f"no arguments: the quick default run ({QUICK}); see --help for the paper's setup")
    return cfg


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    with one_line_errors():
        cfg, given = parse(argv), typed_flags(_parser(), argv)
        if "dry_run" in given and not cfg.resume:
            return dry_run(cfg)
        from qgan.training.run import train  # torch and the models load past --help

        runs = train(cfg, given, dry_run="dry_run" in given)
    if "dry_run" not in given:
        print("results in: " + ", ".join(str(r) for r in runs))


if __name__ == "__main__":
    main()
