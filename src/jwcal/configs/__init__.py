"""The ``.cfg`` parameter files of the JWST pipeline configurations (``calwebb_tso1.cfg``, ...).

Each names its class and the settings of its variant; ``python -m jwcal tso1 ...`` or
``Detector1Pipeline.call(f, config_file="calwebb_tso1.cfg")`` use them.
"""

from importlib import resources as _resources
from pathlib import Path as _Path


def names() -> list[str]:
    """File names of the shipped configurations."""
    root = _resources.files(__name__)
    return sorted(p.name for p in root.iterdir() if p.name.endswith(".cfg"))


def path(name: str) -> _Path:
    """The path of a shipped configuration file."""
    p = _resources.files(__name__).joinpath(name)
    if not p.is_file():
        raise FileNotFoundError(f"no shipped configuration {name}")
    return _Path(str(p))
