"""Output file names, following the JWST rules.

``<output_dir>/<root>[_<components>]_<suffix><ext>``: the root is the output file given by
the user (searched up the pipeline) or the input's name, with a known suffix removed
(``x_uncal`` -> ``x``); the suffix is the step's (its name unless set: ``jump`` inside a
pipeline, ``jumpstep`` for a step run alone, ``rate`` for detector1's product).
"""

from __future__ import annotations

import os
from os.path import expanduser, expandvars, join, split, splitext

from .suffix import remove_suffix

__all__ = ["make_output_path"]


def make_output_path(step, basepath=None, ext=None, suffix=None, **components) -> str:
    """The path a step writes an output to.

    Parameters
    ----------
    step : Step
        The step (its ``output_file``, ``output_dir``, ``suffix`` and those of its parents
        are used).
    basepath : str, optional
        Name to start from instead of the output file or the input's name.
    ext : str, optional
        Extension, default ``step.output_ext``.
    suffix : str, None or False
        The suffix; None: the step's; False: no suffix (the name is used as it is).
    **components
        Values inserted between the root and the suffix (``idx``, ``asn_id``, ...); None
        values are left out.
    """
    if basepath is None and step.search_output_file:
        basepath = step.search_attr("output_file")
    if basepath is None:
        basepath = step.default_output_file()
    basename, base_ext = splitext(split(os.fspath(basepath))[1])
    if ext is None:
        ext = step.output_ext
    if not ext:
        ext = base_ext
    ext = ext.lstrip(".")
    if suffix is None:
        suffix = step.search_attr("suffix")
    if suffix is None:
        suffix = step.name.lower()
    comps = [str(v) for v in components.values() if v is not None]
    comp = "".join("_" + c for c in comps)
    if suffix is False:
        name = f"{basename}{comp}.{ext}"
    else:
        root, sep = remove_suffix(basename)
        name = f"{root}{comp}{sep}{suffix}.{ext}"
    outdir = step.search_attr("output_dir", default="") or ""
    return join(expandvars(expanduser(outdir)), name)
