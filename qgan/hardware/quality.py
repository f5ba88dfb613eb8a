"""How far the hardware images are from the simulator's, and how both score on real images.

* Against the same model on the exact simulator, for the same noise: mean |<Z>_hw - <Z>_sim|
  (raw and mitigated) and the pixel MSE between the decoded images (both in [-1, 1]).
* Against the run's held-out real test images (its split.json, through ``qgan.data``): Inception
  FID/KID, derm-FID/KID and SSIM diversity of the hardware and simulator images, by
  ``qgan.evaluation``'s own scorer, so the figures mean what Table 1's mean (the paper: MEL FID
  14.93 on the simulator, 23.25 on IBM Brisbane), and the same for as many real training images
  of the class: the real-vs-real floor at this sample size. Feature networks that are absent
  (no derm network, Inception turned off) and absent data are skipped with one line each;
  nothing is downloaded. With few images FID and KID are biased upward: compare the rows with
  each other, not with Table 1, unless ``--n`` is in the hundreds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

FEW = 500  # below this many images FID/KID carry a large small-sample bias (say so)


def simulator_agreement(
    z_raw: np.ndarray,
    z_mitigated: np.ndarray,
    z_exact: np.ndarray,
    images: torch.Tensor,
    sim_images: torch.Tensor,
    raw_images: torch.Tensor | None,
) -> dict:
    """Mean |<Z>_hw - <Z>_sim| (raw, mitigated) over (N, latent) and image MSE over pixels."""
    out = {
        "mean_abs_dz_mitigated": float(np.abs(z_mitigated - z_exact).mean()),
        "max_abs_dz_mitigated": float(np.abs(z_mitigated - z_exact).max()),
        "image_mse": float(((images - sim_images) ** 2).mean()),
    }
    if np.isfinite(z_raw).all():  # Runtime returns no raw values under TREX (NaN)
        out["mean_abs_dz_raw"] = float(np.abs(z_raw - z_exact).mean())
        if raw_images is not None:
            out["image_mse_raw"] = float(((raw_images - sim_images) ** 2).mean())
    return out


def real_image_metrics(
    images: dict[str, np.ndarray],
    checkpoint: Path,
    *,
    seed: int = 0,
    fid_weights: str = "",
    inception: bool = True,
    derm_features: str = "",
    data_root: str = "",
    networks=None,
) -> tuple[dict[str, dict], list[str]]:
    """FID / KID / SSIM of each image set against the run's real test images.

    Args:
        images: Name (``hardware``, ``simulator``, and ``hardware_raw``: the same shots
            unmitigated) -> uint8 images (N, H, W, C).
        checkpoint: The checkpoint file; its folder must be the training run's (config.json
            and split.json) for the real test images to be known.
        seed: Seed of the KID subsets and SSIM pairs.
        fid_weights, derm_features, data_root: As ``python -m qgan.evaluate`` takes them.
        inception: False skips Inception FID/KID (``--no-inception``).
        networks: ``qgan.evaluation.pipeline.Networks`` to use (tests); None: load them.

    Returns:
        (name -> metrics, notes): the image sets and the floor (``FLOOR``: real training images
        of the class, as many as the largest set); one note per feature network, data set.
    """
    from qgan.data import DataError
    from qgan.evaluation.pipeline import EvalConfig, Scorer, networks_for
    from qgan.evaluation.runs import find_runs, is_run, real_images, sample_of
    from qgan.evaluation.scoring import FLOOR

    folder = Path(checkpoint).parent
    if not is_run(folder):
        return {}, [
            f"real-image metrics skipped: {folder} is not a training run folder "
            "(no config.json and split.json beside the checkpoint)"
        ]
    if min(len(x) for x in images.values()) < 2:
        return {}, ["real-image metrics skipped: FID, KID and SSIM need at least 2 images"]
    run = find_runs([folder])[0]
    try:
        n_real = len(real_images(run, "test", data_root or None))
    except DataError as exc:
        return {}, [f"real-image metrics skipped: the run's test images cannot be read ({exc})"]
    n = max(len(x) for x in images.values())
    cfg = EvalConfig(
        n=n,
        seed=seed,
        fid_weights=fid_weights,
        no_download=True,
        no_inception=not inception,
        derm_features=derm_features,
        data_root=data_root,
    )
    networks = networks or networks_for([run], cfg)
    scorer = Scorer(cfg, networks)
    notes = networks.notes()
    notes.append(
        f"real: {n_real} held-out test images of {run.dataset} {run.cls} ({folder / 'split.json'})"
    )
    if n < FEW:
        notes.append(
            f"FID/KID from {n} images are biased upward: compare the hardware and "
            "simulator rows with each other, not with Table 1"
        )
    try:
        scores = {name: scorer.metrics(x, run) for name, x in images.items()}
        floor = sample_of(real_images(run, "train", data_root or None), n, seed)
        scores[FLOOR] = scorer.metrics(floor, run)
        notes.append(
            f"{FLOOR}: {len(floor)} real training images of {run.cls} scored the "
            "same way: the lowest these sample sizes allow"
        )
        return scores, notes
    except (ValueError, DataError) as exc:  # e.g. fewer than 2 test images of the class
        return {}, [*notes, f"real-image metrics skipped: {exc}"]
