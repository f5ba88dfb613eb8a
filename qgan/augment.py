"""``python -m qgan.augment lesions|digits|efficiency``: the augmentation experiments
(``qgan.augmentation``).

    python -m qgan.augment lesions --classifier smallcnn --generated runs --seeds 0,1
    python -m qgan.augment digits --rows none,rotation --seeds 0,1,2
    python -m qgan.augment efficiency --runs runs.json --seeds 0,1,2
"""

from __future__ import annotations

from qgan.augmentation.config import DigitConfig, LesionConfig
from qgan.augmentation.efficiency import EfficiencyConfig
from qgan.config import add_arguments, add_dry_run, command, run_command

EXPERIMENTS = {"lesions": LesionConfig, "digits": DigitConfig, "efficiency": EfficiencyConfig}


def main(argv: list[str] | None = None) -> None:
    parser = command("qgan.augment", __doc__, dry_run=False)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, config_cls in EXPERIMENTS.items():
        experiment = sub.add_parser(name, help=config_cls.__doc__)
        add_arguments(experiment, config_cls)
        add_dry_run(experiment)
    name = parser.parse_args(argv).command  # --help and a bad subcommand stop here
    run_command(parser, EXPERIMENTS[name], argv, _run)


def _run(cfg: LesionConfig | DigitConfig | EfficiencyConfig, flags) -> str:
    from qgan.augmentation.digits import run_digits  # torch and the models load past --help
    from qgan.augmentation.efficiency import run_efficiency
    from qgan.augmentation.lesions import run_lesions

    runner = {"lesions": run_lesions, "digits": run_digits, "efficiency": run_efficiency}
    try:
        return f"table: {runner[flags.command](cfg)}"
    except KeyboardInterrupt:
        raise SystemExit(
            f"interrupted: finished cells are in {cfg.out}/cells.jsonl; "
            "run the same command again to resume"
        ) from None


if __name__ == "__main__":
    main()
