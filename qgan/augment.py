"""``python -m qgan.augment lesions|digits``: the two augmentation experiments (see qgan.augment).

python -m qgan.augment lesions --classifier smallcnn --generated runs --seeds 0,1
python -m qgan.augment digits --rows none,rotation --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from qgan.augmentation.config import AugmentError, DigitConfig, LesionConfig
from qgan.config import add_arguments, from_arguments
from qgan.data import DataError

COMMANDS = {"lesions": LesionConfig, "digits": DigitConfig}


def parse(argv: list[str]) -> LesionConfig | DigitConfig:
    parser = argparse.ArgumentParser(prog="python -m qgan.augment", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, config_cls in COMMANDS.items():
        add_arguments(sub.add_parser(name, help=config_cls.__doc__), config_cls)
    args = parser.parse_args(argv)
    try:
        return from_arguments(args, COMMANDS[args.command])
    except AugmentError as exc:
        parser.error(str(exc))


def main(argv: list[str] | None = None) -> None:
    cfg = parse(sys.argv[1:] if argv is None else argv)
    try:
        if cfg.dry_run:
            print(json.dumps(dataclasses.asdict(cfg.resolved()), indent=2))
            return
        from qgan.augmentation.digits import run_digits  # heavy imports only past --help, --dry-run
        from qgan.augmentation.lesions import run_lesions

        run = run_lesions if isinstance(cfg, LesionConfig) else run_digits
        table = run(cfg)
    except (AugmentError, DataError, FileNotFoundError) as exc:
        raise SystemExit(f"error: {exc}") from None
    except KeyboardInterrupt:
        raise SystemExit(
            f"interrupted: finished cells are in {cfg.out}/cells.jsonl; "
            "run the same command again to resume"
        ) from None
    print(f"table: {table}")


if __name__ == "__main__":
    main()
