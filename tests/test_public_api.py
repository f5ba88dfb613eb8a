"""The public API is importable from the package roots, and is what its modules define."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import circuits
import transpile

PACKAGES = {"circuits": circuits, "transpile": transpile}


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_is_its_modules_own(package: str) -> None:
    root = PACKAGES[package]
    assert root.__all__ and len(set(root.__all__)) == len(root.__all__)
    for name in root.__all__:
        module = importlib.import_module(f"{package}.{root._EXPORTS[name]}")
        assert getattr(root, name) is getattr(module, name), name
        assert name in dir(root)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        root.nope  # noqa: B018


def test_the_issues_names_import_from_the_roots() -> None:
    from circuits import (  # noqa: F401
        BatchedParamShiftGradient,
        ExactEstimatorGradient,
        FastEstimator,
        generator_circuit,
        hybridq_subgenerator,
    )
    from transpile import (  # noqa: F401
        MitigationConfig,
        find_lines,
        get_backend,
        run_mitigation,
        transpile_generator,
    )

    assert FastEstimator().run([]).result() is not None


def test_importing_one_module_loads_no_other():
    """The roots load their names on first use, so ``import transpile.backends`` stays light."""
    ours = "m.startswith(('transpile.', 'circuits.'))"
    code = f"import sys, transpile.backends; print(sorted(m for m in sys.modules if {ours}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # circuits.lazy is the roots' own face machinery (no qiskit, no torch), nothing else
    assert out.stdout.strip() == "['circuits.lazy', 'transpile.backends']"
