"""The calibration pipelines (``jwcal.pipelines.detector1``, ``image2``, ...).

Classes are importable from here by name (``from jwcal.pipelines import Image2Pipeline``),
loaded on first use; a pipeline jwcal does not have yet raises ImportError naming it.
"""

from importlib import import_module as _import_module


def __getattr__(name):
    from ..stpipe.registry import PIPELINES, is_available

    for entry in PIPELINES.values():
        if entry.class_name == name:
            if not is_available(entry):
                raise ImportError(f"{entry.alias} ({name}) is not available in this jwcal")
            return getattr(_import_module(entry.module), name)
    raise AttributeError(f"module 'jwcal.pipelines' has no attribute {name!r}")


def available() -> list[str]:
    """Aliases of the pipelines jwcal has."""
    from ..stpipe.registry import PIPELINES, is_available

    return [alias for alias, e in PIPELINES.items() if is_available(e)]
