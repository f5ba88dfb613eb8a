"""Package faces that import their names on first use (PEP 562): ``circuits``, ``transpile``,
``qgan.data`` and ``qgan.models``. It lives in ``circuits``, the bottom layer, so every layer
above can use it.

A package whose ``__init__`` imported its public names eagerly would load torch for anyone who
imports one light module of it (``qgan.data.section``, ``qgan.models.config``), and ``--help``
of every command would pay for it. A face declares ``public name -> module`` instead::

    __getattr__, __dir__, __all__ = lazy_exports(__name__, {"DataConfig": "core", ...})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable, Callable, list[str]]:
    """(``__getattr__``, ``__dir__``, ``__all__``) of ``package`` for ``exports`` (name ->
    submodule): a name's submodule is imported when the name is first read."""

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        setattr(sys.modules[package], name, value)  # later reads skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__, list(exports)
