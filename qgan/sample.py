"""``python -m qgan.sample``: generated images from a checkpoint alone (``qgan.models.sampling``).

    python -m qgan.sample --checkpoint runs/hybridq-isic2019-MEL --n 1000 --out samples/mel

Writes ``img_00000.png ...``, one ``samples.npz`` and ``grid.png`` to ``--out``.
"""

from __future__ import annotations

from qgan.config import command, run_command
from qgan.models.config import SampleConfig


def main(argv: list[str] | None = None) -> None:
    run_command(command("qgan.sample", __doc__, SampleConfig), SampleConfig, argv, _sample)


def _sample(cfg: SampleConfig, flags) -> str:
    from qgan.models.sampling import sample  # torch and the models load past --help

    return f"{cfg.n} images in {sample(cfg)}"


if __name__ == "__main__":
    main()
