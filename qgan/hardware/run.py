"""``hardware_infer(cfg)``: a trained HybridQ generator's images with its circuit on a backend.

Steps (each timed and reported):

1. Load the checkpoint (HybridQ only) and the backend (``transpile.backends.get_backend``).
2. Lay the sub-generators out on disjoint lines of physical qubits scored by the backend's
   error data and transpile them, as one wide circuit or as separate ones (``transpile``).
3. Draw ``n`` noise vectors U[0, b) from ``seed``, exactly as ``python -m qgan.sample`` does.
4. Run them in chunks, every parameter set of a chunk in one job: locally on a noisy copy of a
   fake backend (``transpile.mitigation``), or on IBM hardware through the Runtime estimator
   (``transpile.runtime_mitigation``); job ids and finished chunks go to the ledger at once
   (``qgan.hardware.jobs``), so a rerun collects instead of paying twice.
5. Decode images as the model does, decoder(norm(<Z>)); compare with the exact simulator's
   <Z> and images for the same noise, and score both on the run's real test images.
6. Write PNGs, samples.npz, report.json and report.md.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np

from qgan.artifacts import to_uint8_images
from qgan.hardware.config import HardwareConfig
from qgan.hardware.cost import estimate_cost
from qgan.hardware.errors import HardwareError, JobFailed, JobPending, SubmitError
from qgan.hardware.generator import HybridQParts, circuit_values, load_hybridq
from qgan.hardware.jobs import Chunk, Ledger, chunks, run_chunks
from qgan.hardware.local import LocalExecutor, workload
from qgan.hardware.outputs import write_images
from qgan.hardware.plan import RunRecord, check_same_plan, plan_of, read_record, saved_layout
from qgan.hardware.quality import real_image_metrics, simulator_agreement
from qgan.hardware.report import write_report
from qgan.hardware.runtime import RuntimeExecutor
from transpile.backends import get_backend
from transpile.passes import TranspiledGenerator, transpile_generator
from transpile.runtime_mitigation import runtime_options_dict

# what may change when a run is resumed: where and how to wait, and how to score
RESUMABLE = (
    "out",
    "resume",
    "timeout",
    "instance",
    "fid_weights",
    "no_inception",
    "derm_features",
    "data_root",
    "dry_run",
)
_FLAGS = ("resume", "dry_run", "no_inception")  # booleans: taken as given, even when off


def hardware_infer(cfg: HardwareConfig, *, networks=None) -> Path:
    """Run ``cfg``; returns the output folder (see the module docstring).

    Args:
        cfg: The run's settings.
        networks: Feature networks for the real-image metrics (tests); None: load them.

    Raises:
        FileNotFoundError: No checkpoint.
        ValueError: Bad settings, a checkpoint of another model, another plan in ``cfg.out``,
            an unusable backend (``transpile.backends.BackendError``) or layout.
        HardwareError: A job failed, timed out or could not be submitted or collected.
    """
    seconds, start = {}, time.perf_counter()
    cfg, parts, saved = setup(cfg)
    backend = get_backend(cfg.backend, instance=cfg.instance or None)
    seconds["load"] = time.perf_counter() - start
    plan, fingerprint = plan_of(cfg, parts)
    out = Path(cfg.out)
    if saved is not None:
        check_same_plan(saved, plan, fingerprint, out)
    tic = time.perf_counter()
    transpiled = _transpile(backend, parts, cfg, saved)
    seconds["transpile"] = time.perf_counter() - tic
    mitigation = cfg.mitigation_config(idle_noise=_has_durations(backend.target))
    cost = estimate_cost(backend, transpiled, mitigation, cfg.n, math.ceil(cfg.n / cfg.chunk))
    _announce(cfg, parts, transpiled, mitigation, saved, cost)
    if cfg.dry_run:
        return out
    RunRecord(cfg, plan, fingerprint, transpiled.layout.lines).write(out)
    noise = parts.noise(cfg.n, cfg.seed)  # (N, L)
    tic = time.perf_counter()
    z_raw, z_mitigated, jobs = _run_quantum(
        cfg, parts, backend, transpiled, mitigation, noise, Ledger(out, fingerprint)
    )
    seconds["quantum"] = time.perf_counter() - tic
    agreement, real, notes = _outputs(cfg, parts, out, noise, z_raw, z_mitigated, seconds, networks)
    seconds["total"] = time.perf_counter() - start
    report = _report(cfg, parts, transpiled, mitigation, jobs, agreement, real, seconds)
    report["cost"] = cost.as_dict()
    report["notes"] = _notes(cfg, z_raw, saved) + notes
    write_report(report, out)
    print(
        f"{cfg.n} images in {out}: mean |<Z>_hw - <Z>_sim| "
        f"{agreement['mean_abs_dz_mitigated']:.4f} ({cfg.mitigation.label}), image MSE "
        f"{agreement['image_mse']:.4f}; report.md"
    )
    return out


def _outputs(cfg, parts, out, noise, z_raw, z_mitigated, seconds: dict, networks):
    """Decode, write images and samples.npz, and score: (agreement, real metrics, notes)."""
    tic = time.perf_counter()
    z_exact = parts.exact_z(noise)  # (N, L) the same noise on the exact simulator
    images, sim_images = parts.decode(z_mitigated), parts.decode(z_exact)
    raw_images = parts.decode(z_raw) if np.isfinite(z_raw).all() else None
    arrays = {"noise": noise, "z_raw": z_raw, "z_mitigated": z_mitigated, "z_exact": z_exact}
    meta = {
        "backend": cfg.backend,
        "mitigation": cfg.mitigation.label,
        "shots": cfg.shots,
        "seed": cfg.seed,
        "bound": parts.bound,
        "checkpoint": str(parts.checkpoint),
        "step": parts.step,
    }
    pics = write_images(out, images, sim_images, arrays, meta)
    seconds["decode"] = time.perf_counter() - tic
    tic = time.perf_counter()
    agreement = simulator_agreement(z_raw, z_mitigated, z_exact, images, sim_images, raw_images)
    sets = {"simulator": to_uint8_images(sim_images), "hardware": pics}
    if raw_images is not None and cfg.mitigation.techniques:  # the same shots, unmitigated
        sets["hardware_raw"] = to_uint8_images(raw_images)
    real, notes = real_image_metrics(
        sets,
        parts.checkpoint,
        seed=cfg.seed,
        fid_weights=cfg.fid_weights,
        inception=not cfg.no_inception,
        derm_features=cfg.derm_features,
        data_root=cfg.data_root,
        networks=networks,
    )
    seconds["metrics"] = time.perf_counter() - tic
    return agreement, real, notes


def setup(cfg: HardwareConfig) -> tuple[HardwareConfig, HybridQParts, RunRecord | None]:
    """The resolved config, the checkpoint's generator and the run already in ``out`` (if any).

    With ``resume``, the saved config of the run in ``out`` is taken, except for the
    ``RESUMABLE`` fields given now.
    """
    if cfg.resume:
        if not cfg.out:
            raise ValueError("--resume needs --out: the folder of the run to continue")
        saved = read_record(Path(cfg.out))
        if saved is None:
            raise FileNotFoundError(f"nothing to resume in {cfg.out}: it holds no hardware.json")
        now = {k: getattr(cfg, k) for k in RESUMABLE if getattr(cfg, k) or k in _FLAGS}
        cfg = dataclasses.replace(saved.config, **now)
    parts = load_hybridq(cfg.checkpoint or newest_checkpoint())
    cfg = dataclasses.replace(cfg, checkpoint=str(parts.checkpoint)).resolved(_run_name(parts))
    return cfg, parts, read_record(Path(cfg.out))


def newest_checkpoint(root: Path = Path("runs")) -> Path:
    """The newest ``last.pt`` under ``root`` (``python -m qgan.train``'s default --out)."""
    found = [*root.glob("*/last.pt"), *root.glob("*/*/last.pt")]
    if not found:
        raise FileNotFoundError(
            f"no checkpoint given and none under {root}/: pass --checkpoint RUN_FOLDER_OR_PT"
        )
    path = max(found, key=lambda p: p.stat().st_mtime)
    print(f"checkpoint: {path} (the newest under {root}/)")
    return path


def _run_name(parts: HybridQParts) -> str:
    path = parts.checkpoint
    return path.parent.name + ("" if path.stem == "last" else f"-{path.stem}")


def _transpile(backend, parts: HybridQParts, cfg: HardwareConfig, saved) -> TranspiledGenerator:
    q = parts.model_config.quantum
    layout = saved_layout(backend, saved.lines, q.n_layers) if saved is not None else None
    return transpile_generator(
        backend,
        n_sub=q.n_sub,
        n_qubits=q.n_qubits,
        n_layers=q.n_layers,
        kind=q.kind,
        separate=cfg.separate,
        layout=layout,
        optimization_level=cfg.optimization_level,
        seed=cfg.seed,
    )


def _has_durations(target) -> bool:
    """Whether the Target has gate durations (idle-noise scheduling needs them)."""
    if "sx" not in target.operation_names:
        return False
    return any(p is not None and p.duration for p in target["sx"].values())


def _run_quantum(cfg, parts, backend, transpiled, mitigation, noise, ledger: Ledger):
    """(z_raw (N, L), z_mitigated (N, L), job rows) through the ledger, chunk by chunk."""
    if cfg.on_ibm:
        executor = RuntimeExecutor(
            backend, transpiled, mitigation, timeout=cfg.timeout, instance=cfg.instance or None
        )
    else:
        executor = LocalExecutor(backend, transpiled, mitigation)
    pairs = list(zip(transpiled.ansatze, transpiled.circuits, strict=True))

    def values(chunk: Chunk) -> list[np.ndarray]:
        rows = noise[chunk.start : chunk.stop]
        return [
            circuit_values(a, isa, rows, parts.weights, g if transpiled.separate else None)
            for g, (a, isa) in enumerate(pairs)
        ]

    z_raw = np.full((cfg.n, parts.latent_dim), np.nan)
    z_mitigated = z_raw.copy()
    jobs = []
    try:
        for c, raw, mitigated, source in run_chunks(
            chunks(cfg.n, cfg.chunk), values, executor, ledger
        ):
            z_raw[c.start : c.stop], z_mitigated[c.start : c.stop] = raw, mitigated
            job_id = (ledger.latest(c) or {}).get("job_id") if source == "cache" else source
            jobs.append(
                {
                    "chunk": c.index,
                    "rows": [c.start, c.stop],
                    "job_id": None if job_id == "run" else job_id,
                    "source": {"cache": "saved result", "run": "simulated now"}.get(
                        source, "collected now"
                    ),
                }
            )
    except JobFailed as exc:
        raise HardwareError(
            f"{exc}; marked failed in {ledger.path}: rerun to submit that chunk "
            "again (finished chunks are kept)"
        ) from None
    except JobPending as exc:
        raise HardwareError(
            f"{exc}; its id is saved in {ledger.path}: rerun the same command "
            f"(or --resume --out {ledger.out}) to collect it without paying "
            "again"
        ) from None
    except SubmitError as exc:
        raise HardwareError(
            f"{exc}; jobs submitted so far are saved in {ledger.path}: rerun to continue"
        ) from None
    except KeyboardInterrupt:
        raise HardwareError(
            f"interrupted; submitted jobs and finished chunks are saved in {ledger.out}: rerun "
            "the same command to continue"
        ) from None
    return z_raw, z_mitigated, jobs


def _announce(cfg, parts, transpiled, mitigation, saved, cost) -> None:
    """Print what will run where, how much work it is and what it costs on the device."""
    q = parts.model_config.quantum
    print(
        f"{parts.checkpoint} (step {parts.step}): HybridQ {q.n_sub} x {q.n_qubits} qubits, "
        f"{q.n_layers} layers, noise U[0, {parts.bound:.4g})"
    )
    print(transpiled.report())
    n_chunks = math.ceil(cfg.n / cfg.chunk)
    where = "IBM Runtime job(s)" if cfg.on_ibm else "local chunk(s)"
    print(
        f"{cfg.n} images in {n_chunks} {where} of up to {cfg.chunk}, {cfg.shots} shots, "
        f"mitigation {cfg.mitigation.label}"
        + (" (continuing the run in " + cfg.out + ")" if saved is not None else "")
    )
    print(cost.line() + ("" if cfg.on_ibm else " [on the device; here it is simulated]"))
    if cfg.on_ibm:
        print(f"Runtime estimator options: {runtime_options_dict(mitigation)}")
        if mitigation.zne and len(set(mitigation.scale_shots)) > 1:
            print(
                "note: Runtime runs every noise factor with --shots; --scale-shots applies to "
                "local runs only"
            )
    else:
        print(workload(transpiled, mitigation, cfg.n))


def _report(cfg, parts, transpiled, mitigation, jobs, agreement, real, seconds) -> dict:
    layout = transpiled.layout
    text = layout.report()
    if layout.stats.method == "saved":  # the greedy comparison belongs to the original search
        text = "\n".join(x for x in text.splitlines() if not x.startswith("plain best-first"))
    return {
        "backend": cfg.backend,
        "device": layout.backend,
        "checkpoint": str(parts.checkpoint),
        "cls": parts.cls,
        "step": parts.step,
        "bound": parts.bound,
        "n": cfg.n,
        "seed": cfg.seed,
        "shots": cfg.shots,
        "mitigation": cfg.mitigation.label,
        "executor": "IBM Runtime estimator"
        if cfg.on_ibm
        else f"local noisy simulation ({'PTM engine' if mitigation.method == 'ptm' else 'Aer'})",
        "mitigation_config": dataclasses.asdict(mitigation),
        "runtime_options": runtime_options_dict(mitigation) if cfg.on_ibm else None,
        "separate": cfg.separate,
        "optimization_level": cfg.optimization_level,
        "layout": {
            "lines": [list(x) for x in layout.lines],
            "method": layout.stats.method,
            "status": layout.stats.status,
            "log_fidelity": layout.total_log_fidelity,
            "text": text,
        },
        "circuits": [r.as_dict() for r in transpiled.reports],
        "jobs": jobs,
        "job_ids": [j["job_id"] for j in jobs if j["job_id"]],
        "agreement": agreement,
        "real": real,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }


def _notes(cfg, z_raw: np.ndarray, saved) -> list[str]:
    notes = []
    if saved is not None:
        notes.append("continued a run already in this folder (same plan, same layout)")
    if not np.isfinite(z_raw).all():
        notes.append(
            "raw <Z> not available: IBM Runtime returns only TREX-corrected values "
            f"under mitigation {cfg.mitigation.label} (z_raw is NaN)"
        )
    return notes
