"""Chunks as IBM Runtime jobs: submitted by the Runtime estimator, collected by job id.

One job per chunk: one pub per circuit with every parameter set of the chunk, (P, 1, n_params)
against the (O,) observables, so ``data.evs`` is (P, O) (``transpile.runtime_mitigation``).
The estimator is qiskit-ibm-runtime 0.51's client-side ``executor_estimator.Estimator`` (it
replaces the deprecated ``EstimatorV2``), in job mode on the backend, with our mitigation
choice as its options; its post-processing (TREX, ZNE) runs in ``job.result()``, also for a job
fetched later with ``QiskitRuntimeService.job(job_id)``.

Raw values: Runtime returns mitigated values only. With neither readout nor ZNE they are raw;
with ZNE alone the noise-factor-1 values are raw; with readout on every value it returns is
TREX-corrected, so the raw <Z> are not available (NaN). With ZNE pooled (the default), the
zero-noise values are extrapolated here from the per-factor values Runtime returns, with the
shot-noise variance of its ``ensemble_stds_noise_factors`` taken out of the regression's slope.
"""

from __future__ import annotations

import numpy as np
from qiskit.providers import BackendV2
from qiskit_ibm_runtime.exceptions import (
    RuntimeInvalidStateError,
    RuntimeJobFailureError,
    RuntimeJobMaxTimeoutError,
    RuntimeJobNotFound,
    RuntimeJobTimeoutError,
)

from qgan.hardware.errors import JobFailed, JobPending, JobTimeout, SubmitError
from qgan.hardware.jobs import Chunk
from transpile.backends import runtime_service
from transpile.mitigation_config import MitigationConfig
from transpile.passes import TranspiledGenerator
from transpile.runtime_mitigation import runtime_estimator, runtime_pub
from transpile.zne import pooled_extrapolate

_FAILED = (
    RuntimeJobFailureError,
    RuntimeJobMaxTimeoutError,
    RuntimeInvalidStateError,
    RuntimeJobNotFound,
)


class RuntimeExecutor:
    """Submits chunks to IBM Runtime and collects them by id (this session's or a ledger's)."""

    asynchronous = True

    def __init__(
        self,
        backend: BackendV2,
        transpiled: TranspiledGenerator,
        cfg: MitigationConfig,
        *,
        timeout: float = 0.0,
        instance: str | None = None,
    ):
        self.backend, self.transpiled, self.cfg = backend, transpiled, cfg
        self.timeout, self.instance = timeout, instance
        self._jobs: dict = {}  # job id -> job object, for jobs submitted by this process
        self._service = None

    def run(self, chunk: Chunk, values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError("Runtime chunks are submitted and collected by id")

    def submit(self, chunk: Chunk, values: list[np.ndarray]) -> str:
        """Submit the chunk as one job; returns its id (the caller records it at once)."""
        pubs = [
            runtime_pub(isa, obs, v)
            for isa, obs, v in zip(
                self.transpiled.circuits, self.transpiled.observables, values, strict=True
            )
        ]
        try:
            job = runtime_estimator(self.backend, self.cfg).run(pubs)
            job_id = str(job.job_id())
        except Exception as exc:  # the runtime raises many unrelated types; name the cause
            raise SubmitError(
                f"cannot submit chunk {chunk.index} to {self.backend.name}: "
                f"{type(exc).__name__}: {_first_line(exc)}"
            ) from exc
        self._jobs[job_id] = job
        return job_id

    def collect(self, job_id: str) -> tuple[np.ndarray, np.ndarray]:
        """(raw (P, O), mitigated (P, O)) of a finished job, waiting up to ``timeout`` s.

        Raises:
            JobTimeout: Not finished in time (it keeps running; a rerun collects it).
            JobFailed: Failed, cancelled, or unknown to the service.
            JobPending: The service could not be asked (network); a rerun collects it.
        """
        try:
            job = self._jobs.get(job_id) or self.service().job(job_id)
            result = job.result(timeout=self.timeout or None)
        except RuntimeJobTimeoutError:
            raise JobTimeout(
                f"job {job_id} on {self.backend.name} is still {_status(job)} after "
                f"{self.timeout:g} s"
            ) from None
        except _FAILED as exc:
            raise JobFailed(f"job {job_id} on {self.backend.name}: {_first_line(exc)}") from None
        except Exception as exc:  # noqa: BLE001 - network, service errors: try again later
            raise JobPending(
                f"cannot collect job {job_id} now: {type(exc).__name__}: {_first_line(exc)}"
            ) from None
        return pub_values(result, self.cfg)

    def service(self):
        """The backend's own ``QiskitRuntimeService``, else one from the saved account."""
        if self._service is None:
            own = getattr(self.backend, "service", None)
            self._service = own if hasattr(own, "job") else runtime_service(instance=self.instance)
        return self._service


def pub_values(result, cfg: MitigationConfig) -> tuple[np.ndarray, np.ndarray]:
    """(raw (P, O), mitigated (P, O)) of a Runtime estimator result, pubs side by side.

    With ``zne`` and ``pooled``, the mitigated values are ours: the pooled extrapolation of the
    per-noise-factor values Runtime returns (``transpile.zne.pooled_extrapolate``, given the
    shot-noise variance of its standard errors), not Runtime's own per-set extrapolation.
    """
    raws, mits = [], []
    for pub in result:
        evs = np.asarray(pub.data.evs, dtype=float)  # (P, O)
        factors = getattr(pub.data, "evs_noise_factors", None)
        if cfg.zne and cfg.pooled and factors is not None:
            evs = pooled_extrapolate(
                cfg.scale_factors,
                np.asarray(factors, dtype=float),
                cfg.extrapolator,
                noise_var=_shot_variance(pub.data),
            )
        mits.append(evs)
        raws.append(_raw(pub.data, evs, cfg))
    return np.concatenate(raws, axis=1), np.concatenate(mits, axis=1)


def _shot_variance(data) -> np.ndarray | None:
    """(O, S) a set's shot-noise variance per noise factor, the mean over the pub's sets:
    Runtime's ``ensemble_stds_noise_factors`` (shot noise alone), else its
    ``stds_noise_factors``; None where it returned neither."""
    for name in ("ensemble_stds_noise_factors", "stds_noise_factors"):
        stds = getattr(data, name, None)
        if stds is not None:
            return (np.asarray(stds, dtype=float) ** 2).mean(axis=0)
    return None


def _raw(data, evs: np.ndarray, cfg: MitigationConfig) -> np.ndarray:
    """The unmitigated values where Runtime returned them (module docstring), else NaN."""
    if not cfg.readout and not cfg.zne:
        return evs
    factors = getattr(data, "evs_noise_factors", None)
    if not cfg.readout and factors is not None:
        at_one = list(cfg.scale_factors).index(1.0) if 1.0 in cfg.scale_factors else None
        if at_one is not None:
            return np.asarray(factors, dtype=float)[..., at_one]  # (P, O, S) -> (P, O)
    return np.full_like(evs, np.nan)


def _status(job) -> str:
    try:
        return str(job.status())
    except Exception:  # noqa: BLE001 - the status is only decoration for the message
        return "unfinished"


def _first_line(exc: BaseException) -> str:
    """The message's first line (QiskitError's str() quotes it; its .message does not)."""
    message = getattr(exc, "message", None)
    lines = str(message if isinstance(message, str) else exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__
