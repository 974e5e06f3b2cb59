"""Each package's public names, imported only when first used.

A package's ``__init__`` lists what it offers (``from index import Retriever``) without
importing it: ``import index`` stays free (no numpy, faiss or hazm), as the house style asks,
and ``index.Retriever`` loads ``index.retriever`` on first access (PEP 562).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``names[name]`` (a module path) on first use."""

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(names[name]), name)

    return __getattr__
