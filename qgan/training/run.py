"""``train(cfg)``: the library behind ``python -m qgan.train``, one GAN per class.

Every run folder gets config.json, split.json, metrics.jsonl, last.pt (full state, for
``--resume``), a light epochNNN.pt snapshot and samples_epochNNN.png per epoch, and
loss_curve.png. ``--resume RUN`` continues a run exactly; of the flags typed with it, only
``RESUMABLE`` ones may change the run (each resume is a line of the run's resumes.jsonl), and any
other that differs from the run's is refused in one line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from pathlib import Path

import numpy as np

from qgan.artifacts import append_metrics, truncate_metrics
from qgan.checkpoint import load_checkpoint
from qgan.config import flag, to_json, write_config
from qgan.data import class_subset, load_split, load_train_test, save_split, take
from qgan.models.gan import gan_class
from qgan.models.quantum import require_device
from qgan.training.config import RESUMABLE, TrainConfig
from qgan.training.trainer import Trainer


def train(cfg: TrainConfig, given: Collection[str] = (), dry_run: bool = False) -> list[Path]:
    """Train the GAN(s) ``cfg`` asks for; returns the run folders.

    With ``cfg.resume``, the run continues with its own saved config. ``given`` names the fields
    the user set (the flags typed next to --resume): those in ``RESUMABLE`` are applied and
    recorded in the run's resumes.jsonl; any other that differs from the run's is refused.
    ``dry_run`` (with ``cfg.resume``): print the config the run would continue with, and stop.
    """
    if cfg.resume:
        return [_resume(cfg, set(given), dry_run)]
    cfg = cfg.resolved()
    require_device(cfg.device)  # before any data is read or folder made
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


def _resume(cfg: TrainConfig, given: set[str], dry_run: bool = False) -> Path:
    """Continue a run exactly where its last.pt stopped, with its saved config and the
    ``RESUMABLE`` flags among ``given``; see ``resumed_config``."""
    ckpt = load_checkpoint(cfg.resume)
    if "opt_g" not in ckpt:
        raise ValueError(f"{cfg.resume} is a per-epoch snapshot; resume from the run's last.pt")
    run_dir = Path(cfg.resume) if Path(cfg.resume).is_dir() else Path(cfg.resume).parent
    run_cfg, changed = resumed_config(TrainConfig.from_dict(ckpt["config"]), cfg, given)
    if dry_run:
        print(to_json(run_cfg))
        return run_dir
    train_set, split = training_side(run_cfg)
    _check_same_split(split, run_dir)
    write_config(run_cfg, run_dir)  # config.json says what the run now aims for
    trainer = Trainer(run_cfg, class_subset(train_set, run_cfg.cls).tensor(), run_dir)
    trainer.load_state_dict(ckpt)
    truncate_metrics(run_dir / "metrics.jsonl", trainer.pos.step)
    append_metrics(
        run_dir / "resumes.jsonl", {**dataclasses.asdict(trainer.pos), "changed": changed}
    )
    changes = "".join(f", {k} {old!r} -> {new!r}" for k, (old, new) in changed.items())
    print(f"resuming {run_dir} at step {trainer.pos.step} (epoch {trainer.pos.epoch}){changes}")
    trainer.fit()
    return run_dir


def resumed_config(
    saved: TrainConfig, cfg: TrainConfig, given: set[str]
) -> tuple[TrainConfig, dict[str, list]]:
    """(the config a resumed run continues with, {field: [saved, new]} of what it changes).

    The fields in ``given`` (typed by the user) are taken from ``cfg``, resolved against the
    run (``--lr-discriminator 0`` means the run's model's own rate). Those in ``RESUMABLE`` are
    applied; any other must equal the run's.

    Raises:
        ValueError: One line naming every typed flag that differs from the run's and may not.
    """
    typed = given - {"resume", "dry_run"}
    if "out" in typed:
        raise ValueError("--out does not apply to --resume: the run continues in its own folder")
    raw = {k: getattr(cfg, k) for k in typed}
    try:
        asked = vars(dataclasses.replace(saved, **raw).resolved())
    except ValueError:  # e.g. --model dcgan beside the run's quantum rate: compare as typed
        asked = vars(saved) | raw
    differ = {k: (getattr(saved, k), asked[k]) for k in sorted(typed)}
    differ = {k: v for k, v in differ.items() if v[0] != v[1]}
    refused = [
        f"{flag(k)} {new!r} (the run's: {old!r})"
        for k, (old, new) in differ.items()
        if k not in RESUMABLE
    ]
    if refused:
        raise ValueError(
            f"--resume continues the run as it was and cannot change {', '.join(refused)}; "
            "drop them, or start a new run to change them"
        )
    changed = {k: [old, new] for k, (old, new) in differ.items()}
    return dataclasses.replace(saved, resume="", **{k: v[1] for k, v in changed.items()}), changed


def _check_same_split(split, run_dir: Path) -> None:
    """Refuse to resume on data whose training side is not the run's recorded one."""
    if not (run_dir / "split.json").is_file():
        return  # a checkpoint copied out of its run folder: nothing to check against
    recorded = load_split(run_dir)
    if split.train_ids != recorded.train_ids:
        raise ValueError(
            f"the data gives {len(split.train_ids)} training images, not the "
            f"{len(recorded.train_ids)} of {run_dir / 'split.json'}: point --data-root at "
            "the data the run trained on"
        )


def training_side(cfg: TrainConfig):
    """(the images the GANs train on, the split to record) of a resolved ``TrainConfig``.

    The training side of the lesion split; with ``train_per_class`` only a seeded draw (``seed``)
    of that many images per class, and the recorded split's ``train_ids`` become those images:
    what ``split.json`` says a generator saw is what it saw.
    """
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
