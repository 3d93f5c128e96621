"""The models ramp_fit returns: ``rate`` (ImageModel), ``rateints`` (CubeModel), ``fitopt``
(RampFitOutputModel) and LIKELY's chi square (ImageModel), with the ramp's metadata."""

from __future__ import annotations

import numpy as np

from ... import datamodels

__all__ = ["rate_model", "rateints_model", "fitopt_model", "chisq_model"]


def _fill(out, products) -> None:
    out.data = products.slope
    out.dq = products.dq
    out.var_poisson = products.var_poisson
    out.var_rnoise = products.var_rnoise
    out.err = products.err
    out.meta.bunit_data = "DN/s"
    out.meta.bunit_err = "DN/s"
    out.meta.cal_step.ramp_fit = "COMPLETE"


def rate_model(ramp, products) -> datamodels.ImageModel:
    """The exposure's count rate (``_rate``) from RampProducts of shape (ny, nx)."""
    out = datamodels.ImageModel()
    out.update(ramp)
    _fill(out, products)
    return out


def rateints_model(ramp, products) -> datamodels.CubeModel:
    """One count rate per integration (``_rateints``), with the INT_TIMES table."""
    out = datamodels.CubeModel()
    out.update(ramp)
    _fill(out, products)
    if ramp.has("int_times"):
        out.int_times = ramp.int_times
    return out


def fitopt_model(ramp, opt) -> datamodels.RampFitOutputModel:
    """The per-segment results of the OLS fit (``_fitopt``)."""
    out = datamodels.RampFitOutputModel()
    out.update(ramp)
    for name in (
        "slope",
        "sigslope",
        "var_poisson",
        "var_rnoise",
        "yint",
        "sigyint",
        "pedestal",
        "weights",
        "crmag",
    ):
        setattr(out, name, getattr(opt, name))
    return out


def chisq_model(ramp, chisq: np.ndarray) -> datamodels.ImageModel:
    """The chi square of the LIKELY fit per pixel (``_likely_chisq``)."""
    out = datamodels.ImageModel()
    out.update(ramp)
    out.data = chisq
    return out
