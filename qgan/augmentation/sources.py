"""Where generated images come from: model -> class -> a ``samples.npz`` of uint8 images.

A source of (model, class) is found, in this order:

1. ``--generated-map`` JSON ``{"hybridq": {"MEL": PATH, ...}, ...}`` (relative paths are taken
   from the JSON file's folder);
2. ``--generated`` ROOT/``<model>-<dataset>-<CLASS>`` (the run folders ``python -m qgan.train``
   writes, or sample folders laid out the same way).

PATH / that folder may be a ``samples.npz`` (``python -m qgan.sample``'s output, key ``images``
uint8 (N, H, W[, C])), a folder holding one, or a run folder / ``.pt`` checkpoint, from which
as many images as the experiment needs are sampled once into ``<out>/generated/`` (reused on a
rerun). The images a generator was trained on are read from its run's ``split.json`` (beside
the checkpoint) so that the test set can be kept free of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qgan.artifacts import atomic_path
from qgan.augmentation.config import AugmentError
from qgan.data.arrays import resize_square
from qgan.data.split import load_split
from qgan.models.config import SampleConfig

_BUFFERS = ("running_mean", "running_var", "num_batches_tracked")  # state, not parameters


@dataclass(frozen=True)
class Source:
    """A located (model, class): ready images (``npz``) or a checkpoint to sample from."""

    model: str
    cls: str
    npz: Path | None = None
    checkpoint: Path | None = None


@dataclass(frozen=True, eq=False)
class Pool:
    """Generated images of one (model, class) and what is known of their generator."""

    model: str
    cls: str
    images: np.ndarray  # (N, H, W, C) uint8
    path: Path  # the samples.npz they were read from
    seen_ids: frozenset[str] | None  # real images the generator trained on; None: unknown
    generator: dict  # {"checkpoint", "step", "n_params"} where known


def locate(
    models: tuple[str, ...], classes: tuple[str, ...], dataset: str, root: str, mapping: str
) -> dict[str, dict[str, Source]]:
    """Every (model, class) source, or one line naming the first missing one and the fix."""
    table = _read_mapping(mapping) if mapping else {}
    found: dict[str, dict[str, Source]] = {}
    for model in models:
        found[model] = {}
        for cls in classes:
            path = table.get(model, {}).get(cls)
            if path is None and root:
                path = Path(root) / f"{model}-{dataset}-{cls}"
            found[model][cls] = _source(model, cls, path, dataset)
    return found


def _read_mapping(path: str) -> dict[str, dict[str, Path]]:
    file = Path(path)
    try:
        raw = json.loads(file.read_text())
        return {m: {c: file.parent / p for c, p in per.items()} for m, per in raw.items()}
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise AugmentError(
            f"cannot read --generated-map {file} ({type(exc).__name__}); want JSON "
            '{"model": {"CLASS": "path/to/samples.npz"}}'
        ) from None


def _source(model: str, cls: str, path: Path | None, dataset: str) -> Source:
    if path is not None:
        if path.suffix == ".npz" and path.is_file():
            return Source(model, cls, npz=path)
        if path.suffix == ".pt" and path.is_file():
            return Source(model, cls, checkpoint=path)
        if (path / "samples.npz").is_file():
            return Source(model, cls, npz=path / "samples.npz")
        if (path / "last.pt").is_file():
            return Source(model, cls, checkpoint=path / "last.pt")
    where = f"nothing usable at {path}" if path is not None else "no --generated or map entry"
    raise AugmentError(
        f"no generated images for model {model!r} class {cls!r} ({where}): train it "
        f"(python -m qgan.train --dataset {dataset} --cls {cls}) or sample it "
        f"(python -m qgan.sample), give --generated ROOT or --generated-map, or drop the model"
    )


def sampled_npz(source: Source, n: int, cache: Path, seed: int, batch_size: int) -> Path:
    """``source``'s npz, sampling ``n`` images from its checkpoint once into ``cache``."""
    if source.npz is not None:
        return source.npz
    from qgan.models.sampling import sample  # heavy (builds generators): only when needed

    folder = cache / f"{source.model}-{source.cls}-n{n}-seed{seed}"
    if not (folder / "samples.npz").is_file():
        print(f"sampling {n} {source.cls} images from {source.checkpoint} into {folder}")
        try:
            sample(SampleConfig(str(source.checkpoint), n, str(folder), seed, batch_size))
        except (ValueError, FileNotFoundError) as exc:
            raise AugmentError(f"cannot sample {source.checkpoint}: {exc}") from None
    return folder / "samples.npz"


def load_pool(source: Source, npz: Path, size: int, channels: int) -> Pool:
    """Images of ``npz`` as uint8 (N, size, size, channels), with their generator's record."""
    try:
        with np.load(npz, allow_pickle=False) as data:
            images = data["images"]
            ckpt = str(data["checkpoint"]) if "checkpoint" in data.files else ""
    except (OSError, ValueError, KeyError) as exc:
        raise AugmentError(f"cannot read images from {npz} ({type(exc).__name__}: {exc})") from None
    images = _normalize_images(images, size, channels, npz)
    checkpoint = source.checkpoint or (Path(ckpt) if ckpt else None)
    seen, generator = _generator_record(checkpoint)
    return Pool(source.model, source.cls, images, npz, seen, generator)


def _normalize_images(images: np.ndarray, size: int, channels: int, path: Path) -> np.ndarray:
    if images.ndim == 3:
        images = images[..., None]  # (N, H, W) grayscale
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1] != images.shape[2]:
        raise AugmentError(
            f"{path}: images must be uint8 (N, S, S[, C]), got {images.dtype} {images.shape}"
        )
    if images.shape[-1] != channels:
        raise AugmentError(f"{path}: images have {images.shape[-1]} channels, need {channels}")
    if len(images) == 0:
        raise AugmentError(f"{path} holds no images")
    return resize_square(images, size)


def _generator_record(checkpoint: Path | None) -> tuple[frozenset[str] | None, dict]:
    """Ids the generator trained on (its run's split.json) and its size, where available."""
    if checkpoint is None:
        return None, {}
    record: dict = {"checkpoint": str(checkpoint)}
    split_file = checkpoint.parent / "split.json"
    seen = frozenset(load_split(split_file).train_ids) if split_file.is_file() else None
    if checkpoint.is_file():
        from qgan.checkpoint import load_checkpoint

        try:  # weights_only: a crafted or old-format file is refused, never run
            ckpt = load_checkpoint(checkpoint)
            record["step"] = int(ckpt.get("position", {}).get("step", -1))
            record["n_params"] = _generator_parameters(ckpt)
        except (ValueError, KeyError, TypeError, OSError):  # the record is informative only
            pass
    return seen, record


def generator_record(checkpoint: Path) -> dict:
    """``{"checkpoint", "step", "n_params"}`` of a checkpoint file, where it says them."""
    return _generator_record(Path(checkpoint))[1]


def _generator_parameters(ckpt: dict) -> int:
    """Trainable parameters of what draws the images: the trainer's own count (total less the
    discriminator and HybridQ's encoder), else the generator's weights less BatchNorm state.

    The state dict overcounts: MosaiQ's PCA is buffers (1.2M numbers, none trained), and a
    TorchConnector holds its weights twice.
    """
    counts = ckpt.get("parameters") or {}
    if "total" in counts:
        return int(counts["total"] - counts.get("discriminator", 0) - counts.get("encoder", 0))
    weights = {k: v for k, v in ckpt["generator"].items() if not k.endswith(_BUFFERS)}
    return int(sum(v.numel() for v in weights.values()))


def gather_pools(
    sources: dict[str, dict[str, Source]],
    needed: dict[str, dict[str, int]],
    cache: Path,
    size: int,
    channels: int,
    test_ids: np.ndarray,
    seed: int = 0,
    batch_size: int = 64,
) -> dict[str, dict[str, Pool]]:
    """Load (sampling where needed) every source's pool and check it against the test set.

    ``needed[model][cls]`` images are sampled from a checkpoint source. A generator whose run
    trained on any test image is refused: its images would carry the test set into training.
    """
    test = set(test_ids.tolist())
    pools: dict[str, dict[str, Pool]] = {}
    for model, per_class in sources.items():
        pools[model] = {}
        for cls, source in per_class.items():
            n = max(1, needed[model][cls])
            npz = sampled_npz(source, n, cache, seed, batch_size)
            pool = load_pool(source, npz, size, channels)
            leaked = sorted(test & pool.seen_ids) if pool.seen_ids else []
            if leaked:
                raise AugmentError(
                    f"the {model} {cls} generator trained on {len(leaked)} test images "
                    f"(first: {leaked[0]}): its run used another split; train it with the same "
                    "--seed and data as --split-seed here, or set --split-seed to its seed"
                )
            pools[model][cls] = pool
    return pools


def pool_notes(pools: dict[str, dict[str, Pool]], out: Path | None = None) -> list[str]:
    """One line per model: images, where from, generator size and steps, test-set check.

    With ``out``, the lines are also kept in ``out/pool_notes.json`` and the lines of models
    gathered by earlier runs into the same folder come back too: a resumed run gathers only
    the models with cells left, and its table must still describe every model in it.
    """
    notes = _pool_lines(pools)
    if out is None:
        return list(notes.values())
    path = Path(out) / "pool_notes.json"
    known = json.loads(path.read_text()) if path.is_file() else {}
    known |= notes
    with atomic_path(path) as tmp:  # runs on one folder side by side read it as it is written
        tmp.write_text(json.dumps(known, indent=1) + "\n")
    return list(known.values())


def _pool_lines(pools: dict[str, dict[str, Pool]]) -> dict[str, str]:
    notes = {}
    for model, per_class in pools.items():
        parts = []
        for cls, pool in per_class.items():
            gen = pool.generator
            size = f", {gen['n_params']:,} generator parameters" if "n_params" in gen else ""
            steps = f", {gen['step']} training steps" if gen.get("step", -1) >= 0 else ""
            check = "test set checked" if pool.seen_ids is not None else "its training ids unknown"
            parts.append(f"{cls}: {len(pool.images)} images{size}{steps} ({check})")
        notes[model] = f"{model} generated images: " + "; ".join(parts)
    return notes
