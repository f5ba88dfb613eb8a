"""``python -m qgan.train``: train HybridQ, DCGAN or MosaiQ (--model), one GAN per class.

With no arguments it runs a short default that needs no download: ISIC 2019 MEL when
``$QGAN_DATA`` points at the data, else the synthetic set (it says which). Every run folder gets
config.json, split.json, metrics.jsonl, last.pt (full state, for --resume), a light epochNNN.pt
snapshot and samples_epochNNN.png per epoch, and loss_curve.png.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

from qgan.checkpoint import load_checkpoint
from qgan.config import TrainConfig, add_arguments, from_arguments, write_config

# The no-argument run: minutes on a laptop CPU, enough to see images take shape.
QUICK = {"epochs": 5, "limit": 256, "batch_size": 32}


def train(cfg: TrainConfig, extend: dict | None = None) -> list[Path]:
    """Train the GAN(s) ``cfg`` asks for; returns the run folders.

    With ``cfg.resume``, the run continues with its own saved config; ``extend`` may change its
    ``epochs`` and ``max_steps`` (the flags given on the command line next to --resume).
    """
    from qgan.data import class_subset, save_split
    from qgan.gan import gan_class
    from qgan.trainer import Trainer

    cfg = cfg.resolved()
    if cfg.resume:
        return [_resume(cfg, extend or {})]
    data_cfg = cfg.data_config()
    targets = data_cfg.classes if cfg.cls == "all" else (cfg.cls,)
    print(
        f"data: {cfg.dataset}" + (f" from {cfg.data_root}" if cfg.data_root else " (made by code)")
    )
    train_set, split = training_side(cfg)
    for cls in targets:  # an unknown class or too few images fail here, before any run folder
        gan_class(cfg.model).check(cfg, class_subset(train_set, cls).tensor())
    runs = []
    for cls in targets:
        run_cfg = dataclasses.replace(cfg, cls=cls)
        run_dir = _new_run_dir(Path(cfg.out), f"{cfg.model}-{cfg.dataset}-{cls}")
        write_config(run_cfg, run_dir)
        save_split(split, run_dir)
        images = class_subset(train_set, cls).tensor()
        trainer = Trainer(run_cfg, images, run_dir)
        _announce(trainer, run_dir, len(images))
        trainer.fit()
        runs.append(run_dir)
    return runs


def _resume(cfg: TrainConfig, extend: dict) -> Path:
    """Continue a run exactly where its last.pt stopped, with its saved config (+ ``extend``)."""
    from qgan.artifacts import truncate_metrics
    from qgan.data import class_subset
    from qgan.trainer import Trainer

    ckpt = load_checkpoint(cfg.resume)
    if "opt_g" not in ckpt:
        raise ValueError(f"{cfg.resume} is a per-epoch snapshot; resume from the run's last.pt")
    saved = TrainConfig.from_dict(ckpt["config"])
    run_cfg = dataclasses.replace(saved, resume="", **extend)
    run_dir = Path(cfg.resume) if Path(cfg.resume).is_dir() else Path(cfg.resume).parent
    write_config(run_cfg, run_dir)  # config.json says what the run now aims for
    train_set, _ = training_side(saved)
    trainer = Trainer(run_cfg, class_subset(train_set, saved.cls).tensor(), run_dir)
    trainer.load_state_dict(ckpt)
    truncate_metrics(run_dir / "metrics.jsonl", trainer.pos.step)
    print(f"resuming {run_dir} at step {trainer.pos.step} (epoch {trainer.pos.epoch})")
    trainer.fit()
    return run_dir


def training_side(cfg: TrainConfig):
    """(the images the GANs train on, the split to record) of a resolved ``TrainConfig``.

    The training side of the lesion split; with ``train_per_class`` only a seeded draw (``seed``)
    of that many images per class, and the recorded split's ``train_ids`` become those images:
    what ``split.json`` says a generator saw is what it saw.
    """
    from qgan.data import load_train_test, take

    train_set, _, split = load_train_test(cfg.data_config())
    n = cfg.train_per_class
    if n:
        rng = np.random.default_rng([cfg.seed, n])
        keep = []
        for label, name in enumerate(train_set.class_names):
            members = np.flatnonzero(train_set.labels == label)
            if len(members) < n:
                raise ValueError(
                    f"class {name} has {len(members)} training images, --train-per-class {n} "
                    "asks for more; lower it"
                )
            keep.append(rng.choice(members, n, replace=False))
        train_set = take(train_set, np.sort(np.concatenate(keep)))
        split = dataclasses.replace(split, train_ids=tuple(sorted(map(str, train_set.image_ids))))
    return train_set, split


def _announce(trainer, run_dir: Path, n_images: int) -> None:
    counts = trainer.gan.parameter_counts()
    parts = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    steps = trainer.steps_per_epoch
    print(f"run: {run_dir}  ({trainer.cfg.model}, {n_images} training images, {steps} steps/epoch)")
    print(f"parameters: {parts}")


def _new_run_dir(out: Path, name: str) -> Path:
    """``out/name``, or ``out/name-2``, ``-3``, ... if taken: a new run never overwrites one."""
    path, k = out / name, 1
    while path.exists():
        k += 1
        path = out / f"{name}-{k}"
    path.mkdir(parents=True)
    return path


def parse(argv: list[str]) -> TrainConfig:
    parser = argparse.ArgumentParser(
        prog="python -m qgan.train",
        description=__doc__.split("\n\n")[0],
    )  # add_arguments writes each default into its help: no ArgumentDefaultsHelpFormatter
    add_arguments(parser, TrainConfig)
    cfg = from_arguments(parser.parse_args(argv), TrainConfig)
    if not argv:
        cfg = dataclasses.replace(cfg, **QUICK)
        print(f"no arguments: the quick default run ({QUICK}); see --help for the paper's setup")
    return cfg


def _given(argv: list[str], name: str) -> bool:
    """Whether flag ``--name`` was typed (not merely defaulted)."""
    flag = "--" + name.replace("_", "-")
    return any(a == flag or a.startswith(flag + "=") for a in argv)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    try:
        cfg = parse(argv)
        if cfg.dry_run:
            print(cfg.resolved().to_json())
            return
        extend = {k: getattr(cfg, k) for k in ("epochs", "max_steps") if _given(argv, k)}
        runs = train(cfg, extend)
    except (ValueError, FileNotFoundError, OSError) as exc:  # DataError is a ValueError
        raise SystemExit(f"error: {exc}") from None
    print("results in: " + ", ".join(str(r) for r in runs))


if __name__ == "__main__":
    main()
