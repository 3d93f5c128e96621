"""The calibration steps, one package per step (``jwcal.steps.jump``), by jwst alias.

Classes are importable from here by name (``from jwcal.steps import JumpStep``); each is
loaded on first use, and a step jwcal does not have yet raises ImportError naming it.
"""

from importlib import import_module as _import_module


def __getattr__(name):
    from ..stpipe.registry import STEPS, is_available

    for entry in STEPS.values():
        if entry.class_name == name:
            if not is_available(entry):
                raise ImportError(f"{entry.alias} ({name}) is not available in this jwcal")
            return getattr(_import_module(entry.module), name)
    raise AttributeError(f"module 'jwcal.steps' has no attribute {name!r}")


def available() -> list[str]:
    """Aliases of the steps jwcal has."""
    from ..stpipe.registry import STEPS, is_available

    return [alias for alias, e in STEPS.items() if is_available(e)]
