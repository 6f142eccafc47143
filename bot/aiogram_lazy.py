"""aiogram's pydantic models, built when first used rather than all at import (about 110 MB).

aiogram declares its 400 types with `defer_build=True`, then `aiogram/types/__init__.py`
calls `model_rebuild` on every one of them to resolve their forward references, which builds
every validator and serializer at once: 107 MB of the bot's memory and 4-5 s of its start,
for the few dozen models a helpdesk ever uses. `install()` (called by `bot/__init__.py`, so
before anything in the bot imports aiogram) wraps the loading of `aiogram.types`: while it
runs, those calls only record the namespace they were given; afterwards the namespace's
names are added to the modules of `aiogram.types` and `aiogram.methods` (where aiogram
imports them only for type checkers), so that pydantic resolves the forward references
itself when a model is first validated or built. Nothing changes when aiogram was imported
before `install()`.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

TYPES, METHODS = "aiogram.types", "aiogram.methods.base"


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
        if name not in (TYPES, METHODS):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


class _Loader(importlib.abc.Loader):
    def __init__(self, loader: Any):
        self.loader = loader

    def create_module(self, spec):  # type: ignore[no-untyped-def]
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        if module.__name__ == METHODS:
            self.loader.exec_module(module)
            # Its subclasses (the methods) inherit the setting: built when first sent.
            module.TelegramMethod.model_config["defer_build"] = True
            return
        from pydantic import BaseModel

        namespaces: list[dict[str, Any]] = []
        rebuild = BaseModel.__dict__["model_rebuild"]

        def record(cls, *, _types_namespace=None, **kwargs):  # type: ignore[no-untyped-def]
            if _types_namespace is None or kwargs or not cls.__module__.startswith("aiogram."):
                return rebuild.__func__(cls, _types_namespace=_types_namespace, **kwargs)
            if not namespaces:
                namespaces.append(dict(_types_namespace))
            return None

        BaseModel.model_rebuild = classmethod(record)  # type: ignore[method-assign]
        try:
            self.loader.exec_module(module)
        finally:
            BaseModel.model_rebuild = rebuild  # type: ignore[method-assign]
        if namespaces:
            _share(namespaces[0])


def _share(namespace: dict[str, Any]) -> None:
    """Add the names aiogram resolves forward references with to the modules of its types."""
    for name, module in list(sys.modules.items()):
        if name.startswith("aiogram.types.") and module is not None:
            for key, value in namespace.items():
                module.__dict__.setdefault(key, value)


def install() -> None:
    if "aiogram" not in sys.modules and not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
