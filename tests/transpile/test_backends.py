"""Backends by name: fake snapshots offline, IBM Quantum through a stand-in QiskitRuntimeService
(no network in tests), and one-line errors for every failure."""

import pytest
import qiskit_ibm_runtime
import requests
from qiskit.providers.exceptions import QiskitBackendNotFoundError
from qiskit.transpiler import CouplingMap
from qiskit_ibm_runtime.accounts import AccountNotFoundError, InvalidAccountError

from transpile.backends import (
    BackendError,
    fake_backend_names,
    generic_heavy_hex,
    get_backend,
)


def _one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text and text
    return text


@pytest.mark.parametrize(
    "name, qubits, gate", [("fake_brisbane", 127, "ecr"), ("fake_torino", 133, "cz")]
)
def test_fake_backends_load_by_name(name, qubits, gate):
    backend = get_backend(name)
    assert backend.name == name
    assert backend.num_qubits == qubits
    assert gate in backend.target.operation_names


def test_fake_names_cover_eagle_and_heron():
    names = fake_backend_names()
    for name in ("fake_brisbane", "fake_sherbrooke", "fake_kyiv", "fake_torino", "fake_fez"):
        assert name in names
    assert list(names) == sorted(names)


def test_unknown_fake_backend_suggests_close_names():
    with pytest.raises(BackendError) as err:
        get_backend("fake_brisbaen")
    assert "did you mean fake_brisbane" in _one_line(err)


def test_unknown_prefix_says_which_forms_exist():
    with pytest.raises(BackendError) as err:
        get_backend("brisbane")
    text = _one_line(err)
    assert "fake_<device>" in text and "ibm_<device>" in text


def test_backend_error_is_a_value_error():
    assert issubclass(BackendError, ValueError)


def test_no_saved_account_and_no_token_is_a_clear_error(monkeypatch, tmp_path):
    # The real QiskitRuntimeService, pointed at an empty account file, with no token in the
    # environment: it fails before any network call.
    for var in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_CHANNEL", "QISKIT_IBM_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(
        "qiskit_ibm_runtime.accounts.management._DEFAULT_ACCOUNT_CONFIG_JSON_FILE",
        str(tmp_path / "qiskit-ibm.json"),
    )
    with pytest.raises(BackendError) as err:
        get_backend("ibm_brisbane")
    text = _one_line(err)
    assert "save_account" in text and "QISKIT_IBM_TOKEN" in text


class _Service:
    """Stand-in for QiskitRuntimeService: records its arguments, fails as told."""

    calls: list = []

    def __init__(self, fail_init=None, fail_backend=None):
        self.fail_init, self.fail_backend = fail_init, fail_backend

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        if self.fail_init:
            raise self.fail_init
        return self

    def backend(self, name):
        if self.fail_backend:
            raise self.fail_backend
        return f"backend {name}"


def _patch(monkeypatch, **fails) -> _Service:
    service = _Service(**fails)
    service.calls = []
    monkeypatch.setattr(qiskit_ibm_runtime, "QiskitRuntimeService", service)
    return service


def test_ibm_backend_through_the_service(monkeypatch):
    service = _patch(monkeypatch)
    assert get_backend("ibm_torino", instance="my-instance") == "backend ibm_torino"
    assert service.calls == [{"instance": "my-instance"}]
    get_backend("ibm_torino")
    assert service.calls[-1] == {}  # the saved account's or the environment's instance


def _unreachable() -> InvalidAccountError:
    try:
        try:
            raise requests.ConnectionError("Failed to resolve 'iam.cloud.ibm.com'")
        except requests.ConnectionError as net:
            raise InvalidAccountError("Unable to retrieve instances.") from net
    except InvalidAccountError as err:
        return err


# Each failure of the service -> (device asked for, words the one-line error must hold, must not)
SERVICE_FAILURES = {
    "no-network": ({"fail_init": _unreachable()}, "ibm_brisbane", ["unreachable"], []),
    "invalid-token": (
        {"fail_init": InvalidAccountError("Unable to retrieve instances.")},
        "ibm_brisbane",
        ["check the token"],
        ["unreachable"],
    ),
    "no-account": (
        {"fail_init": AccountNotFoundError("Unable to find account.")},
        "ibm_brisbane",
        ["QISKIT_IBM_TOKEN"],
        [],
    ),
    "unknown-device": (
        {"fail_backend": QiskitBackendNotFoundError("No backend matches.\nmore")},
        "ibm_nowhere",
        ["ibm_nowhere", "no such device"],
        [],
    ),
}


@pytest.mark.parametrize("case", list(SERVICE_FAILURES))
def test_service_failures_are_named_in_one_line(monkeypatch, case):
    fails, name, present, absent = SERVICE_FAILURES[case]
    _patch(monkeypatch, **fails)
    with pytest.raises(BackendError) as err:
        get_backend(name)
    text = _one_line(err)
    assert all(words in text for words in present), text
    assert not any(words in text for words in absent), text


def test_generic_heavy_hex_is_the_heavy_hex_lattice():
    backend = generic_heavy_hex(3, seed=1)
    expected = CouplingMap.from_heavy_hex(3)
    assert backend.num_qubits == expected.size() == 19
    assert set(backend.coupling_map.get_edges()) == set(expected.get_edges())
    assert backend.target.qubit_properties[0].t1 > 0  # error data for the layout score
    with pytest.raises(BackendError):
        generic_heavy_hex(4)
