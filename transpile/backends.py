"""Backends by name: IBM Quantum hardware, IBM's fake snapshots, and a small heavy-hex fake.

* ``ibm_<name>`` (``ibm_brisbane``, ``ibm_torino``, ...): a real device through qiskit-ibm-runtime's
  ``QiskitRuntimeService``. Credentials come from the environment (``QISKIT_IBM_TOKEN``,
  ``QISKIT_IBM_INSTANCE``, ``QISKIT_IBM_CHANNEL``, read by the runtime itself) or from an account
  saved with ``QiskitRuntimeService.save_account(...)``; ``instance`` overrides the instance.
* ``fake_<name>`` (``fake_brisbane``: Eagle r3, 127 qubits, ECR; ``fake_sherbrooke``, ``fake_kyiv``:
  Eagle; ``fake_torino``: Heron r1, 133 qubits, CZ; ``fake_fez``, ``fake_marrakesh``: Heron r2,
  156 qubits): calibration snapshots from ``qiskit_ibm_runtime.fake_provider`` for offline runs.
* ``generic_heavy_hex(distance)``: ``GenericBackendV2`` on ``CouplingMap.from_heavy_hex``, with
  seeded random error rates; 19 qubits at distance 3, for fast tests.

Every failure (unknown name, no credentials, no network, a backend the account cannot see) is a
``BackendError`` whose message is one line saying what to do, so a CLI can print it without a
traceback (``raise SystemExit(str(err))``).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterator

import qiskit_ibm_runtime.fake_provider as fake_provider
from qiskit.providers import BackendV2
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.transpiler import CouplingMap
from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

SAVE_ACCOUNT_HINT = (
    "save an account with QiskitRuntimeService.save_account(token=..., instance=...) "
    "or set QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE)"
)


class BackendError(ValueError):
    """A backend cannot be had; the message is one line that says what to do."""


def get_backend(name: str, *, instance: str | None = None) -> BackendV2:
    """The backend called ``name``: ``fake_<device>`` offline, ``ibm_<device>`` on IBM Quantum.

    Args:
        name: ``fake_brisbane``, ``fake_torino``, ... or ``ibm_brisbane``, ``ibm_torino``, ...
        instance: IBM Cloud instance (CRN or name) for ``ibm_*``; the saved or environment one
            when None.

    Returns:
        The backend, with its ``Target`` (coupling map, gate errors and durations, T1/T2).

    Raises:
        BackendError: Unknown name, no credentials, no network, or a device the account lacks.
    """
    if name.startswith("fake_"):
        return fake_backend(name)
    if name.startswith("ibm_"):
        return ibm_backend(name, instance=instance)
    raise BackendError(
        f"unknown backend {name!r}: use fake_<device> (offline, e.g. fake_brisbane) "
        "or ibm_<device> (IBM Quantum, e.g. ibm_brisbane)"
    )


def fake_backend_names() -> tuple[str, ...]:
    """Names of every fake backend in ``qiskit_ibm_runtime.fake_provider``, sorted."""
    return tuple(sorted(_fake_classes()))


def fake_backend(name: str) -> BackendV2:
    """A fresh instance of the fake backend ``name`` (only that one is loaded)."""
    classes = _fake_classes()
    if name not in classes:
        close = difflib.get_close_matches(name, classes, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise BackendError(
            f"unknown fake backend {name!r}: {hint}valid names include fake_brisbane, "
            "fake_sherbrooke, fake_kyiv, fake_torino, fake_fez "
            f"({len(classes)} in all, see transpile.backends.fake_backend_names())"
        )
    return classes[name]()


def ibm_backend(name: str, *, instance: str | None = None) -> BackendV2:
    """The IBM Quantum device ``name`` through ``QiskitRuntimeService`` (needs network)."""
    service = runtime_service(instance=instance)
    try:
        return service.backend(name)
    except Exception as err:  # the runtime raises several unrelated types; classify them
        raise BackendError(_explain(err, f"cannot get backend {name!r}")) from err


def runtime_service(*, instance: str | None = None):
    """A ``QiskitRuntimeService`` from the saved account or the environment.

    Raises:
        BackendError: No saved account and no token in the environment, an invalid token,
            or no network.
    """
    from qiskit_ibm_runtime import QiskitRuntimeService

    try:
        return QiskitRuntimeService(**({"instance": instance} if instance else {}))
    except Exception as err:
        raise BackendError(_explain(err, "cannot open IBM Quantum")) from err


def generic_heavy_hex(distance: int = 3, *, seed: int = 0) -> GenericBackendV2:
    """A ``GenericBackendV2`` on the heavy-hex lattice of odd ``distance`` (3: 19 qubits).

    Its CX errors, readout errors, durations and T1/T2 are drawn at random from ``seed``.
    """
    if distance < 3 or distance % 2 == 0:
        raise BackendError(f"heavy-hex distance must be odd and >= 3, got {distance}")
    coupling = CouplingMap.from_heavy_hex(distance)
    return GenericBackendV2(coupling.size(), coupling_map=coupling, seed=seed)


@functools.cache
def _fake_classes() -> dict[str, type[FakeBackendV2]]:
    """``backend_name`` -> class, for every fake backend class the provider exports."""
    return {
        cls.backend_name: cls
        for cls in vars(fake_provider).values()
        if isinstance(cls, type) and issubclass(cls, FakeBackendV2) and _has_name(cls)
    }


def _has_name(cls: type) -> bool:
    return isinstance(getattr(cls, "backend_name", None), str)


def _explain(err: BaseException, what: str) -> str:
    """One line naming the cause of a runtime failure and the fix."""
    from qiskit.providers.exceptions import QiskitBackendNotFoundError
    from qiskit_ibm_runtime.accounts import AccountNotFoundError

    if isinstance(err, AccountNotFoundError):
        return f"{what}: no IBM Quantum credentials found; {SAVE_ACCOUNT_HINT}"
    if _network_failure(err):
        return f"{what}: IBM Quantum is unreachable (no network?): {_first_line(_root(err))}"
    if isinstance(err, QiskitBackendNotFoundError):
        return (
            f"{what}: no such device on this account; list yours with "
            "QiskitRuntimeService().backends(), or use a fake_<device> backend offline"
        )
    return (
        f"{what}: {type(err).__name__}: {_first_line(err)}; check the token ({SAVE_ACCOUNT_HINT})"
    )


def _network_failure(err: BaseException) -> bool:
    """Whether a connection failure (DNS, refused, timeout) lies anywhere in the cause chain."""
    import requests

    kinds = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)
    return any(isinstance(e, kinds) for e in _chain(err))


def _chain(err: BaseException) -> Iterator[BaseException]:
    """``err``, then its causes and contexts, each once."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        err = err.__cause__ or err.__context__


def _root(err: BaseException) -> BaseException:
    return list(_chain(err))[-1]


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__
