"""Truth products written beside a simulated exposure."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from .cosmic import HIT_COLUMNS

__all__ = ["write_truth_rate", "write_jumps", "write_saturation", "write_masks", "read_jumps"]


def _write_hdul(hdul, path: Path) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hdul.writeto(tmp, overwrite=True)
    os.replace(tmp, path)
    return path


def write_truth_rate(path: Path, rate: np.ndarray, meta_model, dq: np.ndarray) -> Path:
    """The true count rate (DN/s) each pixel collects, flat field included, before IPC,
    non-linearity, dark and bias: what a perfect stage-1 calibration would return."""
    from ..datamodels import ImageModel

    model = ImageModel(rate.astype(np.float32))
    model.update(meta_model)
    model.dq = dq.astype(np.uint32)
    model.meta.bunit_data = "DN/s"
    model.save(path)
    return path


def write_jumps(path: Path, rows: list) -> Path:
    """The injected jumps: one row per pixel hit (amplitude in linear DN before IPC)."""
    from astropy.table import Table

    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in HIT_COLUMNS]
    dtypes = ("i4", "i4", "i4", "i4", "f4", "i4", "U8")
    tab = Table(
        [np.asarray(c, dtype=d) for c, d in zip(cols, dtypes, strict=True)], names=HIT_COLUMNS
    )
    tab["amplitude"].unit = "DN"
    tab.meta["description"] = (
        "Cosmic-ray charge injected per pixel: 0-based integration and group (the first group "
        "whose reads include the hit), y, x in the exposure array, amplitude in DN."
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tab.write(tmp, format="ascii.ecsv", overwrite=True)
    os.replace(tmp, path)
    return path


def read_jumps(path) -> np.ndarray:
    """The jumps table as a structured array."""
    from astropy.table import Table

    return np.asarray(Table.read(path, format="ascii.ecsv"))


def write_saturation(path: Path, first_sat: np.ndarray, ngroups: int) -> Path:
    """FIRST_SAT (nints, ny, nx): the first group (0-based) whose raw value reaches the
    SATURATION reference; NGROUPS where it never does."""
    from astropy.io import fits

    hdu = fits.ImageHDU(first_sat.astype(np.int16), name="FIRST_SAT")
    hdu.header["NGROUPS"] = (ngroups, "value meaning: never saturated")
    return _write_hdul(fits.HDUList([fits.PrimaryHDU(), hdu]), path)


def write_masks(path: Path, dq, qe, dark) -> Path:
    """The injected bad pixels: DQ (the MASK flags), QE (relative response, 0 = dead) and
    DARK (DN/s; hot and warm pixels)."""
    from astropy.io import fits

    hdus = [
        fits.PrimaryHDU(),
        fits.ImageHDU(dq.astype(np.uint32), name="DQ"),
        fits.ImageHDU(qe.astype(np.float32), name="QE"),
        fits.ImageHDU(dark.astype(np.float32), name="DARK"),
    ]
    return _write_hdul(fits.HDUList(hdus), path)
