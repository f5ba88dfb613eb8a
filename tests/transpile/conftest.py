"""Backends shared by the layout and pass-manager tests (built once per module: parsing a fake
backend's calibration takes a while)."""

import pytest

from transpile.backends import generic_heavy_hex, get_backend


@pytest.fixture(scope="module")
def small():
    """A 19-qubit heavy-hex ``GenericBackendV2`` (distance 3, seed 3)."""
    return generic_heavy_hex(3, seed=3)


@pytest.fixture(scope="module")
def brisbane():
    """``fake_brisbane``: 127 qubits with real calibration data."""
    return get_backend("fake_brisbane")
