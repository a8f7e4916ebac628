"""Attributes of a package imported from their submodule on first use (PEP 562), so that importing the
package costs nothing until one is needed (the catalogue never loads Numba; the command line reads the
limits' defaults without numpy)."""

from __future__ import annotations

import importlib
import sys

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, modules: dict[str, str]):
    """The module ``__getattr__`` of ``package``: each name of ``modules`` (name -> submodule) is
    imported from its submodule the first time it is asked for, then kept."""
    def __getattr__(name):
        if name not in modules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{modules[name]}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
