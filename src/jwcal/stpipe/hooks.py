"""Pre- and post-hooks: steps or functions run before or after a step.

A hook is a Step class or instance, the alias or class name of a step (``"jump"``), a
callable, or the dotted name of a callable (``"mypackage.module.function"``).  A hook gets
the step's input (pre) or output (post); when it returns something other than None, that
replaces what it was given.
"""

from __future__ import annotations

import importlib

from ..errors import ConfigError

__all__ = ["run_hooks", "resolve_hook"]


def resolve_hook(step, spec, kind: str, index: int):
    """A runnable for one hook entry: a Step instance or a plain callable."""
    from .registry import lookup, resolve_class
    from .step import Step

    name = f"{kind}_hook{index}"
    if isinstance(spec, Step):
        return spec
    if isinstance(spec, type) and issubclass(spec, Step):
        return spec(name, parent=step)
    if callable(spec):
        return spec
    if isinstance(spec, str):
        if lookup(spec) is not None:
            cls, _ = resolve_class(spec)
            return cls(name, parent=step)
        modname, _, attr = spec.rpartition(".")
        if modname:
            try:
                obj = getattr(importlib.import_module(modname), attr)
            except (ImportError, AttributeError):
                obj = None
            if isinstance(obj, type) and issubclass(obj, Step):
                return obj(name, parent=step)
            if callable(obj):
                return obj
    raise ConfigError(f"{step.name}.{kind}_hooks: cannot use {spec!r} as a hook")


def run_hooks(step, kind: str, args: tuple) -> tuple:
    """Run the ``kind`` (``"pre"`` or ``"post"``) hooks of ``step`` on ``args``."""
    from .step import Step

    hooks = step.pre_hooks if kind == "pre" else step.post_hooks
    for i, spec in enumerate(hooks or []):
        hook = resolve_hook(step, spec, kind, i)
        result = hook.run(*args) if isinstance(hook, Step) else hook(*args)
        if result is not None:
            args = (result,)
    return args
