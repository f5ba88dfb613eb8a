"""Shared test settings: where the development data lives.

``QGAN_SHARED`` names the shared folder that sits beside the checkout (``../shared`` by default,
as in CI); the real data sets are under its ``data/`` (see its README). Tests that need them take
the ``shared_data`` fixture, which skips when the folder is absent.
"""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("QGAN_SHARED", REPO_ROOT.parent / "shared"))
SHARED_DATA = SHARED_DIR / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout's root folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``<shared>/data``: ISIC 2019, HAM10000, Fitzpatrick17k CSV, MNIST test idx files."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent (set QGAN_SHARED)")
    return SHARED_DATA
