"""What is background: the draft count rate of a ramp, and the scene mask made from it."""

from __future__ import annotations

import logging

import numpy as np

from ... import datamodels
from ...dqflags import group as GROUP
from ...dqflags import pixel as PIXEL
from .background import background_level, clip_to_background

__all__ = ["draft_rate", "read_flat", "create_mask", "NRS_FS_REGION"]

log = logging.getLogger(__name__)

#: Rows (science frame) of the NIRSpec fixed-slit region, masked for IFU and MOS data.
NRS_FS_REGION = (922, 1116)


def _drop_miri_groups(data, gdq, log):
    """MIRI: groups that are DO_NOT_USE in every pixel at the start or the end of the ramps
    are left out of the fit, as stcal does (JUMP_DET is cleared from a new first group)."""
    dnu = GROUP["DO_NOT_USE"]
    first = 0
    while first < data.shape[1] and np.all(gdq[:, first] & dnu):
        first += 1
    if first >= data.shape[1]:
        return None, None
    data, gdq = data[:, first:], gdq[:, first:].copy()
    if first:
        gdq[:, 0] &= np.uint8(~GROUP["JUMP_DET"] & 0xFF)
    if np.all(gdq[:, -1] & dnu):
        data, gdq = data[:, :-1], gdq[:, :-1]
    if data.shape[1] < 2:
        return None, None
    return data, gdq


def draft_rate(step, model, return_cube=False):
    """The count rate (ImageModel) or rate per integration (CubeModel) of a ramp, from the
    OLS ramp fit with jwst's default parameters (suppress_one_group), as the JWST
    clean_flicker_noise step drafts it for scene masking.  The GAIN and READNOISE references
    are the step's own (``override_gain``/``override_readnoise``)."""
    from jwcore.ramp import fit_ramps_ols

    log.info("Creating draft rate file for scene masking")
    gain = step.load_reference(model, "gain")
    rn = step.load_reference(model, "readnoise")
    if gain is None or rn is None:
        raise ValueError("the draft ramp fit needs GAIN and READNOISE reference files")
    data, gdq = model.data, model.groupdq
    meta = model.meta.exposure
    if str(model.meta.get("instrument.name") or "").upper() == "MIRI" and data.shape[1] > 1:
        data, gdq = _drop_miri_groups(data, gdq, log)
        if data is None:
            raise ValueError("every group is flagged DO_NOT_USE")
    zf = model.zeroframe if model.has("zeroframe") else None
    dark = model.average_dark_current if model.has("average_dark_current") else None
    result = fit_ramps_ols(
        data,
        gdq,
        model.pixeldq,
        rn.data,
        gain.data,
        frame_time=float(meta.frame_time),
        group_time=float(meta.group_time),
        nframes=int(meta.nframes or 1),
        groupgap=int(meta.groupgap or 0),
        dropframes1=meta.get("drop_frames1"),
        zeroframe=zf,
        average_dark_current=dark,
        suppress_one_group=True,
        # jwst's draft rate to the bit: the scene mask clips it at thresholds, where an
        # ulp can move a pixel to the other side and the background fits with it
        bitwise=True,
        n_threads=step.n_threads,
    )
    products = result.rateints if return_cube else result.rate
    out = datamodels.CubeModel() if return_cube else datamodels.ImageModel()
    out.update(model)
    out.data = products.slope
    out.dq = products.dq
    out.err = products.err
    out.var_poisson = products.var_poisson
    out.var_rnoise = products.var_rnoise
    return out


def read_flat(flat, shape):
    """The flat image with zeros and non-finite values replaced by a smoothed local value
    (a 2-D background model of the rest), so they do not disturb the fits."""
    data = np.array(flat.data, dtype=np.float32)
    if data.shape != tuple(shape):
        raise ValueError(f"the flat ({data.shape}) does not match the data ({tuple(shape)})")
    bad = (data == 0) | ~np.isfinite(data)
    if np.any(bad):
        smooth = background_level(data, ~bad, background_method="model")
        data[bad] = smooth if np.isscalar(smooth) else smooth[bad]
    return data


def create_mask(image_model, mask_science_regions=False, n_sigma=2.0, fit_histogram=False,
                single_mask=False):  # fmt: skip
    """Background pixels of a rate image or cube (True = background).

    NaN and zero pixels are not background; MIRI imaging with ``mask_science_regions``
    excludes DO_NOT_USE and NON_SCIENCE pixels; NIRSpec IFU and MOS with it exclude the
    fixed-slit rows; then pixels more than ``n_sigma`` above the background (or 3 sigma
    below) are excluded, integration by integration for a cube.
    """
    exptype = str(image_model.meta.get("exposure.type") or "").lower()
    dq = image_model.dq
    mask = np.full(dq.shape, True)
    if mask_science_regions and exptype.startswith("nrs"):
        mask[(dq & PIXEL["MSA_FAILED_OPEN"]) > 0] = False
    if mask_science_regions and exptype == "mir_image":
        mask[(dq & (PIXEL["DO_NOT_USE"] | PIXEL["NON_SCIENCE"])) > 0] = False
    data = image_model.data
    mask[np.isnan(data) | (data == 0)] = False
    if mask_science_regions and exptype in ("nrs_ifu", "nrs_msaspec"):
        # Without a WCS no fixed slit is known to be open: the region is masked, as jwst
        # does when its WCS lists none.
        log.info("Masking the fixed slit region for %s data.", exptype.upper())
        mask[..., NRS_FS_REGION[0] : NRS_FS_REGION[1], :] = False
    if n_sigma > 0:
        if data.ndim == 3:
            for i in range(data.shape[0]):
                clip_to_background(data[i], mask[i], sigma_upper=n_sigma,
                                   fit_histogram=fit_histogram)  # fmt: skip
        else:
            clip_to_background(data, mask, sigma_upper=n_sigma, fit_histogram=fit_histogram)
    if single_mask and mask.ndim == 3:
        mask = np.all(mask, axis=0)
    return mask
