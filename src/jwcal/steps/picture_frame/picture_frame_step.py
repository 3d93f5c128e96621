"""The picture_frame step: scale and subtract NIRSpec's thermal "picture frame" pattern."""

from __future__ import annotations

import warnings

import numpy as np

from ... import datamodels
from ...stpipe import Param, Step
from .._ramps import writeable
from ..clean_flicker_noise.scene import create_mask, draft_rate

__all__ = ["PictureFrameStep"]

LOWER_EDGE = (4, 75)
UPPER_EDGE = (1985, 2043)
CENTER = (76, 1984)


def region_masks(background):
    """Background pixels of the centre region, and of the edge band inside the reference
    pixels (True = use)."""
    y, x = np.mgrid[: background.shape[0], : background.shape[1]]
    center = background & (y >= CENTER[0]) & (y < CENTER[1]) & (x >= CENTER[0]) & (x < CENTER[1])
    outside = (
        (y < LOWER_EDGE[0]) | (y >= UPPER_EDGE[1]) | (x < LOWER_EDGE[0]) | (x >= UPPER_EDGE[1])
    )
    band = (
        ((y >= LOWER_EDGE[0]) & (y < LOWER_EDGE[1]))
        | ((y >= UPPER_EDGE[0]) & (y < UPPER_EDGE[1]))
        | ((x >= LOWER_EDGE[0]) & (x < LOWER_EDGE[1]))
        | ((x >= UPPER_EDGE[0]) & (x < UPPER_EDGE[1]))
    )
    return center, background & band & ~outside


def _median(values):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(values)


class PictureFrameStep(Step):
    """Remove the picture-frame pattern (warmer detector edges) from NIRSpec full frames.

    The PICTUREFRAME reference is scaled and offset so that its background levels in the
    centre and in the edge band match those of each group (each difference from the first
    group, for ramps) or each rate image, then subtracted.  Background pixels come from a
    scene mask of a draft rate image (sigma clipping; see clean_flicker_noise).  Off by
    default, as in jwst 3.0.  ``mask_science_regions`` (slits and IFU slices from the WCS)
    is not available in jwcal: the mask is made without it, as jwst does when no WCS can
    be assigned.  The draft ramp fit takes this step's GAIN and READNOISE references.
    """

    class_alias = "picture_frame"
    cal_step = "picture_frame"
    params = {
        "mask_science_regions": Param(bool, True, "mask known science regions"),
        "n_sigma": Param(float, 2.0, "clipping level for non-background signal"),
        "save_mask": Param(bool, False, "save the background mask"),
        "save_correction": Param(bool, False, "save the correction"),
        "skip": Param(bool, True, "skip this step (inside a pipeline)"),
    }
    reference_file_types = ("pictureframe", "gain", "readnoise")

    def process(self, input):
        model = self.prepare_output(input)
        ref = self.load_reference(model, "pictureframe")
        if ref is None:
            self.log.warning(
                "Picture frame correction is not available for exposure type %s.",
                model.meta.get("exposure.type"),
            )
            self.record_step_status(model, "SKIPPED")
            return model
        status, mask_model, corr_model = self._correct(model, np.asarray(ref.data, np.float32))
        for suffix, extra in (("pctfrm_mask", mask_model), ("pctfrm_correction", corr_model)):
            if extra is not None:
                path = self.make_output_path(basepath=model.meta.get("filename"), suffix=suffix)
                self.log.info("Saving %s", path)
                extra.save(path)
        self.record_step_status(model, status)
        return model

    def _correct(self, model, slope):
        instrument = str(model.meta.get("instrument.name") or "").upper()
        subarray = str(model.meta.get("subarray.name") or "").upper()
        if instrument != "NIRSPEC" or subarray != "FULL":
            self.log.warning(
                "Picture frame correction is only applicable to NIRSpec full frame exposures."
            )
            return "SKIPPED", None, None
        is_ramp = isinstance(model, datamodels.RampModel)
        if is_ramp and model.shape[1] == 1:
            self.log.warning("Picture frame correction cannot be performed for single-group data.")
            return "SKIPPED", None, None
        self.log.info("Applying picture frame correction")
        image_model = draft_rate(self, model) if is_ramp else model
        if self.mask_science_regions:
            self.log.warning(
                "Masking NIRSpec science regions needs the NIRSpec WCS, which jwcal does not "
                "have: the scene mask is made without it"
            )
        background = create_mask(image_model, False, self.n_sigma, single_mask=True)
        mask_model = None
        if self.save_mask:
            mask_model = datamodels.ImageModel()
            mask_model.update(image_model)
            mask_model.data = background
        center, edge = region_masks(background)
        if not np.any(center) or not np.any(edge):
            self.log.error("No data to scale; skipping picture frame correction.")
            return "SKIPPED", mask_model, None
        ref_center = _median(slope[center])
        ref_edge = _median(slope[edge])
        difference = slope - ref_edge
        data = writeable(model, "data")
        original = data.copy() if self.save_correction else None
        planes = (
            [(i, g) for i in range(data.shape[0]) for g in range(1, data.shape[1])]
            if (is_ramp)
            else ([()] if data.ndim == 2 else [(i,) for i in range(data.shape[0])])
        )
        for idx in planes:
            plane = data[idx]
            zero = data[idx[0], 0] if is_ramp else 0.0
            if is_ramp:
                plane -= zero
            mc = _median(plane[center])
            me = _median(plane[edge])
            scale = (mc - me) / (ref_center - ref_edge)
            correction = scale * difference + me
            # jwst adds the first group back and subtracts the correction in one step
            plane += zero - correction
        corr_model = None
        if self.save_correction:
            corr_model = (
                datamodels.RampModel()
                if is_ramp
                else (datamodels.CubeModel() if data.ndim == 3 else datamodels.ImageModel())
            )
            corr_model.update(model)
            corr_model.data = data - original
        return "COMPLETE", mask_model, corr_model
