"""``python -m qgan.sample``: generated images from a checkpoint alone (``qgan.models.sampling``).

    python -m qgan.sample --checkpoint runs/hybridq-isic2019-MEL --n 1000 --out samples/mel

Writes ``img_00000.png ...``, one ``samples.npz`` and ``grid.png`` to ``--out``.
"""

from __future__ import annotations

from qgan.config import command, dry_run, one_line_errors, parse
from qgan.models.config import SampleConfig


def main(argv: list[str] | None = None) -> None:
    with one_line_errors():
        cfg, args = parse(command("qgan.sample", __doc__, SampleConfig), SampleConfig, argv)
        if args.dry_run:
            return dry_run(cfg)
        from qgan.models.sampling import sample  # torch and the models load past --help

        out = sample(cfg)
    print(f"{cfg.n} images in {out}")


if __name__ == "__main__":
    main()
