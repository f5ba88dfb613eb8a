"""Training of one unconditional GAN on one class, for every model (``qgan.models.gan``).

Per step, whatever the model (HybridQ, DCGAN, MosaiQ): noise -> generator; one discriminator
step on real vs generated samples, one generator-side step on the model's objective, then the
model's noise is updated from the two losses (the MosaiQ bound of HybridQ and MosaiQ; DCGAN's
N(0, 1) stays). Per epoch: a checkpoint, a sample grid from fixed noise and the loss curve; a run
stopped inside an epoch (--max-steps, Ctrl-C) also gets the grid of its final state. The batch
order of epoch e is a permutation seeded by (seed, e), so a run resumed mid-epoch redoes
exactly the batches it had not done.
"""

from __future__ import annotations

import dataclasses
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from qgan.artifacts import append_metrics, read_metrics, save_grid, save_loss_curve
from qgan.checkpoint import config_to_dict, restore_rng_states, rng_states, save_checkpoint
from qgan.models.gan import build_gan
from qgan.registry import model_entry, objective_entry
from qgan.training.config import TrainConfig

FIXED_NOISE_SEED = 12345  # the grid's noise: the same images epoch after epoch
CALIBRATION_STREAM = 1 << 40  # offsets the seeds of BatchNorm calibration noise from batch orders


@dataclass
class Position:
    step: int = 0  # optimizer steps done in all
    epoch: int = 0  # current epoch
    batch: int = 0  # batches done in the current epoch


class Trainer:
    """Model, optimizers, noise and position of one per-class run; see the module docstring."""

    def __init__(self, cfg: TrainConfig, images: torch.Tensor, run_dir: Path):
        cfg = cfg.with_model_defaults()  # a config that did not go through resolved()
        self.cfg, self.images, self.run_dir = cfg, images, run_dir
        self.gan = build_gan(cfg, images)
        self.noise_gen = torch.Generator().manual_seed(cfg.seed)
        self.pos = Position()
        self._stop = self._in_step = False
        fixed = torch.Generator().manual_seed(FIXED_NOISE_SEED)
        self.fixed_noise = self.gan.noise.base(cfg.grid, fixed)  # scaled by the bound at use

    @property
    def generator(self):
        return self.gan.generator

    @property
    def discriminator(self):
        return self.gan.discriminator

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        modules = {k: None if m is None else m.state_dict() for k, m in self.gan.modules().items()}
        return {
            "config": config_to_dict(self.cfg),
            "model_config": config_to_dict(self.gan.model_config),
            **modules,
            "opt_g": self.gan.opt_g.state_dict(),
            "opt_d": self.gan.opt_d.state_dict(),
            "noise": self.gan.noise.state_dict(),
            "position": dataclasses.asdict(self.pos),
            "rng": rng_states(self.noise_gen) | {"augment": self.gan.game.generator.get_state()},
            "game": self.gan.game.state_dict(),
            "parameters": self.gan.parameter_counts(),
        }

    def load_state_dict(self, ckpt: dict) -> None:
        for name, module in self.gan.modules().items():
            if module is not None:
                module.load_state_dict(ckpt[name])
        self.gan.opt_g.load_state_dict(ckpt["opt_g"])
        self.gan.opt_d.load_state_dict(ckpt["opt_d"])
        self.gan.noise.load_state_dict(ckpt["noise"])
        self.pos = Position(**ckpt["position"])
        restore_rng_states(ckpt["rng"], self.noise_gen)
        if "augment" in ckpt["rng"]:  # runs from before the objectives had no augmentation
            self.gan.game.generator.set_state(ckpt["rng"]["augment"])
        if "game" in ckpt:
            self.gan.game.load_state_dict(ckpt["game"])

    def save(self, state: dict | None = None) -> Path:
        """The full state, for --resume."""
        return save_checkpoint(state or self.state_dict(), self.run_dir / "last.pt")

    def snapshot(self, state: dict | None = None) -> dict:
        """The generator alone, with its config and noise bound: enough to sample from."""
        keys = ("config", "model_config", "generator", "noise", "position", "parameters")
        return {k: v for k, v in (state or self.state_dict()).items() if k in keys}

    # ------------------------------------------------------------------ loop
    @property
    def steps_per_epoch(self) -> int:
        return max(1, len(self.images) // self.cfg.batch_size)  # drop the ragged last batch

    def total_steps(self) -> int:
        steps = self.cfg.epochs * self.steps_per_epoch
        return min(steps, self.cfg.max_steps) if self.cfg.max_steps else steps

    def fit(self) -> None:
        """Train until ``epochs`` (or ``max_steps``); on Ctrl-C, finish the step, save, leave.

        SIGINT only raises a flag while a step runs, so the checkpoint never holds a step half
        done (the discriminator updated, the generator not): --resume then continues exactly.
        A second Ctrl-C interrupts at once, without saving.
        """
        bar = tqdm(total=self.total_steps(), initial=self.pos.step, unit="step", dynamic_ncols=True)
        self._stop, self._in_step = False, False
        previous = _install_sigint(self)
        try:
            while self.pos.epoch < self.cfg.epochs and not self._done() and not self._stop:
                self._epoch(bar)
        except KeyboardInterrupt:
            if self._in_step:  # a forced second Ctrl-C: this step's state is half updated
                raise SystemExit(
                    f"interrupted inside step {self.pos.step + 1}: last.pt was not overwritten"
                ) from None
            self._stop = True
        finally:
            _restore_sigint(previous)
            bar.close()
        if self._stop:
            path = self.save()
            self.stopped_grid()
            raise SystemExit(f"interrupted at step {self.pos.step}: saved {path}; --resume it")
        if self._done():
            self.save()
            self.stopped_grid()

    def _done(self) -> bool:
        return bool(self.cfg.max_steps) and self.pos.step >= self.cfg.max_steps

    def _epoch(self, bar) -> None:
        order = torch.randperm(
            len(self.images),
            generator=torch.Generator().manual_seed(self.cfg.seed * 100003 + self.pos.epoch),
        )
        bs = self.cfg.batch_size if len(self.images) >= self.cfg.batch_size else len(self.images)
        while self.pos.batch < self.steps_per_epoch:
            if self._done() or self._stop:
                return
            idx = order[self.pos.batch * bs : (self.pos.batch + 1) * bs]
            record = self.step(self.images[idx])
            self.pos.step += 1
            self.pos.batch += 1
            record |= {"step": self.pos.step, "epoch": self.pos.epoch}
            append_metrics(self.run_dir / "metrics.jsonl", record)
            bar.update(1)
            bar.set_postfix(_postfix(record) | {"epoch": self.pos.epoch})
        self.pos.epoch += 1
        self.pos.batch = 0
        self.end_of_epoch()

    def step(self, real: torch.Tensor) -> dict:
        """One discriminator and one generator step on a real batch; returns the metrics."""
        start = time.perf_counter()
        self._in_step = True  # until the end: a state interrupted in between is not saved
        gan = self.gan
        real_in = gan.real_input(real)
        fake = gan.generate(gan.noise.sample(len(real), self.noise_gen))
        d = gan.d_loss(real_in, fake)
        _descend(gan.opt_d, d["total"])
        g = gan.g_losses(real_in, fake)
        _descend(gan.opt_g, g["total"])
        g = {k: float(v.detach()) for k, v in g.items()}
        record = _d_record(d) | {f"g_{k}": v for k, v in g.items()}
        record |= gan.noise.update(*gan.game.noise_losses(record["d_loss"], g["adversarial"]))
        self._in_step = False
        return record | {"sec_per_step": time.perf_counter() - start}

    @torch.no_grad()
    def end_of_epoch(self) -> None:
        metrics = read_metrics(self.run_dir / "metrics.jsonl")  # once for the curve and the warning
        self._pictures(f"samples_epoch{self.pos.epoch:03d}.png", metrics)
        warning = dead_game_warning(metrics, self.pos.epoch - 1, dead_game_hint(self.cfg))
        if warning:
            tqdm.write(warning)
        state = self.state_dict()  # once for both files
        self.save(state)
        # Per-epoch snapshots hold what sampling and FID-vs-epoch need (about 4 MB), not the
        # optimizer and discriminator states of last.pt (about 45 MB): 100 of them stay small.
        save_checkpoint(self.snapshot(state), self.run_dir / f"epoch{self.pos.epoch:03d}.pt")

    @torch.no_grad()
    def stopped_grid(self) -> Path | None:
        """``samples_stepNNNNNN.png`` of a run stopped inside an epoch (--max-steps, Ctrl-C),
        from its final state; None when the epoch's own grid already shows that state.

        Its BatchNorm calibration is undone afterwards, so the generator is again what last.pt
        holds and a resumed run stays exact.
        """
        if self.pos.batch == 0:
            return None
        generator = self.gan.generator
        kept = {k: v.clone() for k, v in generator.state_dict().items()}
        try:
            metrics = read_metrics(self.run_dir / "metrics.jsonl")
            return self._pictures(f"samples_step{self.pos.step:06d}.png", metrics)
        finally:
            generator.load_state_dict(kept)

    def _pictures(self, name: str, metrics: list[dict]) -> Path:
        """The grid of the fixed noise as ``name`` and the loss curve of ``metrics`` (the run's
        metrics.jsonl), for the current state."""
        # inference statistics from noise of its own stream, seeded by (seed, epoch): the
        # training stream is untouched, so a resumed run stays exact
        seed = self.cfg.seed * 100003 + self.pos.epoch + CALIBRATION_STREAM
        calibration = torch.Generator().manual_seed(seed)
        self.gan.calibrate(calibration)
        fixed = self.gan.noise.scale(self.fixed_noise)  # e.g. U[0, b) from the fixed uniforms
        generator = self.gan.generator
        was = generator.training
        generator.eval()
        images = generator(fixed)
        generator.train(was)
        path = save_grid(images, self.run_dir / name)
        save_loss_curve(metrics, self.run_dir / "loss_curve.png")
        return path


def dead_game_warning(metrics: list[dict], epoch: int, hint: str = "") -> str:
    """One line when D separated every real batch from every generated one through ``epoch``.

    That is a discriminator that has won outright: its gradient to the generator saturates
    (BCE) or stops informing it, and the generator learns nothing more from the game. Only the
    first epoch of a streak is reported (a run of 2-step epochs on a few images would print one
    line per epoch); ``metrics.jsonl`` keeps ``d_separated`` per step. ``""`` when the epoch
    has no health entries (runs from before they were logged), D did not win, or the epoch
    before was already reported. ``hint`` (``dead_game_hint``) ends the line.
    """
    lines = _health_lines(metrics, epoch)
    if not _d_won(lines) or _d_won(_health_lines(metrics, epoch - 1)):
        return ""
    loss = sum(m["d_loss"] for m in lines) / len(lines)
    return (
        f"warning: the discriminator separated real from generated images in all {len(lines)} "
        f"steps of epoch {epoch + 1} (mean D loss {loss:.3g}): the generator learns little "
        f"from it{f' ({hint})' if hint else ''}; the epochs that follow in a row are not "
        "reported again (d_separated in metrics.jsonl)"
    )


def dead_game_hint(cfg: TrainConfig) -> str:
    """What to try when D wins outright, for this run's model, decoder and objective."""
    if cfg.model == "hybridq" and cfg.decoder == "paper":
        return "HybridQ: --decoder conv draws well enough to keep the game going"
    objective = objective_entry(cfg.with_model_defaults().objective)
    if objective.ada_target > 0:
        return (
            "ADA raises its augmentation probability p while D keeps winning; on a few "
            "training images that can take some epochs"
        )
    if "ada" in model_entry(cfg.model).objectives:
        return "--objective ada augments what D sees as it starts to memorize the training images"
    return ""


def _health_lines(metrics: list[dict], epoch: int) -> list[dict]:
    """The metrics lines of ``epoch`` that record the game's health."""
    return [m for m in metrics if m.get("epoch") == epoch and "d_separated" in m]


def _d_won(lines: list[dict]) -> bool:
    """D separated real from generated images in every one of an epoch's health ``lines``."""
    return bool(lines) and all(m["d_separated"] for m in lines)


def _d_record(d: dict) -> dict[str, float]:
    """The metrics line's discriminator entries: its loss and the game's health
    (``qgan.models.objectives.health``)."""
    record = {"d_loss": float(d["loss"].detach())}
    return record | {k: float(v) for k, v in d.items() if k.startswith("d_") or k == "augment_p"}


def _descend(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One optimizer step on ``loss``."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def _postfix(record: dict) -> dict[str, str]:
    """The progress bar's losses, D's accuracy (the game's health; 1.00 for a whole epoch is a
    dead game) and the noise bound, where the model has one."""
    keys = {
        "d": "d_loss",
        "g": "g_adversarial",
        "acc": "d_accuracy",
        "p": "augment_p",
        "b": "noise_bound",
    }
    return {short: f"{record[key]:.3f}" for short, key in keys.items() if key in record}


def _install_sigint(trainer: Trainer):
    """Make Ctrl-C ask ``trainer`` to stop after its current step (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        if trainer._stop:  # the second Ctrl-C: the user means it
            raise KeyboardInterrupt
        trainer._stop = True
        print("\nCtrl-C: finishing this step, then saving (Ctrl-C again to quit at once)")

    return signal.signal(signal.SIGINT, handler)


def _restore_sigint(previous) -> None:
    if previous is not None:
        signal.signal(signal.SIGINT, previous)
