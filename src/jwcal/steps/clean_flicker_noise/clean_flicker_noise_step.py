"""The clean_flicker_noise step: remove 1/f (flicker) noise from ramps or rate images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import datamodels
from ...references import NOT_APPLICABLE
from ...references.subarray import fit_to_exposure
from ...stpipe import Param, Step
from .correction import clean_exposure, median_image
from .scene import create_mask, draft_rate, read_flat

__all__ = ["CleanFlickerNoiseStep"]

#: EXP_TYPEs whose median_image background needs spectral extraction or photometry of a
#: time series (jwst's extract_1d, white_light, tso_photometry, bkg_subtract, pastasoss).
TSO_MEDIAN_TYPES = ("NIS_SOSS", "NRS_BRIGHTOBJ", "NRC_TSGRISM", "NRC_TSIMAGE")
NSCLEAN_TYPES = ("NRS_MSASPEC", "NRS_IFU", "NRS_FIXEDSLIT", "NRS_BRIGHTOBJ")


@dataclass
class _Params:
    """The fit parameters, standardised for an exposure."""

    fit_method: str
    fit_by_channel: bool
    background_method: str | None
    background_box_size: list | None
    n_sigma: float
    detector: str
    axis_to_correct: int
    fc: tuple
    single_mask: bool


class CleanFlickerNoiseStep(Step):
    """Fit and subtract 1/f noise ("flicker", the stripes of correlated read noise).

    Works on ramps (each group difference is cleaned and the ramp rebuilt from the cleaned
    differences; between jump and ramp_fit), on rate images or on rateints cubes.  Pixels
    with signal are kept out of the fit by a scene mask: a user mask, or one made by sigma
    clipping a draft rate image (a ramp fit of the input); groups flagged DO_NOT_USE or
    JUMP_DET are left out too.  A background (a median, a 2-D model, or with
    ``median_image`` a scaled median across integrations) is removed first and restored
    after.  ``fit_method='median'`` subtracts the median of the background pixels along
    the detector's slow axis (MIRI: along columns), by amplifier channel with
    ``fit_by_channel``; ``'fft'`` (NIRSpec spectroscopy only) fits low-frequency Fourier
    vectors (NSClean).  Off by default, as in jwst 3.0.

    Not available in jwcal (warned, and done without): masking the slits and IFU slices of
    NIRSpec (needs the NIRSpec WCS and msaflagopen) and NIRISS SOSS traces
    (``mask_science_regions``), and ``median_image`` for time-series spectra and images
    (needs extraction or photometry).  The draft ramp fit takes this step's GAIN and
    READNOISE references (``override_gain``, ``override_readnoise``), which jwst looks up
    in CRDS.
    """

    class_alias = "clean_flicker_noise"
    cal_step = "clean_flicker_noise"
    params = {
        "autoparam": Param(bool, False, "choose fit and background parameters from the data"),
        "fit_method": Param(str, "median", "noise fitting algorithm", choices=("fft", "median")),
        "fit_by_channel": Param(bool, False, "fit the noise of each amplifier separately"),
        "background_method": Param(str, "median", "background fit",
                                   choices=("median", "model", "median_image", "None"),
                                   allow_none=True),
        "background_box_size": Param(list, None, "box size of the background model",
                                     item_type=int),
        "mask_science_regions": Param(bool, False, "mask known science regions"),
        "apply_flat_field": Param(bool, False, "divide by the flat before fitting"),
        "n_sigma": Param(float, 2.0, "clipping level for non-background signal"),
        "fit_histogram": Param(bool, False, "fit a value histogram to derive sigma"),
        "single_mask": Param(bool, True, "one mask for all integrations"),
        "user_mask": Param(str, None, "file of a user-supplied mask"),
        "save_mask": Param(bool, False, "save the mask"),
        "save_background": Param(bool, False, "save the fitted background"),
        "save_noise": Param(bool, False, "save the fitted noise"),
        "skip": Param(bool, True, "skip this step (inside a pipeline)"),
    }  # fmt: skip
    reference_file_types = ("flat", "pastasoss", "gain", "readnoise")

    def process(self, input):
        model = self.prepare_output(input)
        if self.autoparam:
            self._set_auto_parameters(model)
        flat = None
        if self.apply_flat_field:
            flat = self._flat(model)
        exp_type = str(model.meta.get("exposure.type") or "")
        if exp_type == "NIS_SOSS" and self.background_method == "median_image":
            self.log.warning("median_image for NIRISS SOSS is not available in jwcal; failed")
            self.record_step_status(model, "FAILED")
            return model
        status, extras = self._correct(model, flat)
        for suffix, extra in zip(("mask", "flicker_bkg", "flicker_noise"), extras, strict=True):
            if extra is not None:
                path = self.make_output_path(basepath=model.meta.get("filename"), suffix=suffix)
                self.log.info("Saving %s", path)
                extra.save(path)
        self.record_step_status(model, status)
        return model

    def _flat(self, model):
        found = self.get_reference_file(model, "flat")
        if found == NOT_APPLICABLE:
            self.log.warning(
                "Flat correction is not available for exposure type %s without a "
                "user-supplied flat.", model.meta.get("exposure.type"),
            )  # fmt: skip
            return None
        self.log.info("Using FLAT reference file: %s", found)
        flat = datamodels.FlatModel(found) if isinstance(found, str) else found.copy()
        return read_flat(fit_to_exposure(flat, model, "FLAT"), model.shape[-2:])

    def _set_auto_parameters(self, model) -> None:
        from .autoparam import image_parameters

        exp_type = str(model.meta.get("exposure.type") or "")
        if exp_type not in ("NIS_IMAGE", "NRC_IMAGE"):
            self.log.warning("Auto parameters are not available for exposure type %s", exp_type)
            self.log.info("Using input parameters as provided; no overrides applied.")
            return
        found = self.get_reference_file(model, "flat")
        flat = None if found == NOT_APPLICABLE else found
        params = image_parameters(self, model, flat, nircam=exp_type == "NRC_IMAGE")
        self.log.info("Auto parameters set for %s:", exp_type)
        for key, value in params.items():
            self.log.info("  %s: %s", key, value)
            setattr(self, key, value)

    def _standardise(self, model) -> _Params | None:
        exp_type = str(model.meta.get("exposure.type") or "")
        message = None
        if exp_type.startswith("MIR") and exp_type != "MIR_IMAGE":
            message = f"EXP_TYPE {exp_type} is not supported"
        if self.fit_method == "fft" and exp_type not in NSCLEAN_TYPES:
            message = f"Fit method 'fft' cannot be applied to exp_type {exp_type}"
        if message:
            self.log.warning(message)
            self.log.warning("Step will be skipped")
            return None
        subarray = str(model.meta.get("subarray.name") or "").upper()
        if exp_type.startswith("MIR"):
            axis = 1  # MIRI's flicker runs along columns
        else:
            axis = abs(int(model.meta.get("subarray.slowaxis") or 2))
        background = self.background_method
        if str(background).lower() == "none":
            background = None
        single_mask = self.single_mask
        if background == "median_image" and single_mask:
            self.log.warning("The median_image background method requires draft rateints files.")
            self.log.warning("Setting single_mask to False.")
            single_mask = False
        by_channel = self.fit_by_channel
        if by_channel and (subarray != "FULL" or exp_type.startswith("MIR")):
            self.log.warning("Fit by channel can only be used for full-frame NIR data.")
            by_channel = False
        fc = (150, 200, 49943, 49957) if subarray == "ALLSLITS" else (1061, 1211, 49943, 49957)
        return _Params(self.fit_method, by_channel, background, self.background_box_size,
                       self.n_sigma, str(model.meta.get("instrument.detector") or "").upper(),
                       axis, fc, single_mask)  # fmt: skip

    def _correct(self, model, flat):
        none3 = (None, None, None)
        p = self._standardise(model)
        if p is None:
            return "FAILED", none3
        exp_type = str(model.meta.get("exposure.type") or "")
        if self.mask_science_regions and (exp_type.startswith("NRS") or exp_type == "NIS_SOSS"):
            self.log.warning(
                "Masking the science regions of %s data needs its WCS (or SOSS traces), "
                "which jwcal does not have: only the generic masking is done", exp_type,
            )  # fmt: skip
        median_bkg = p.background_method == "median_image"
        if self.user_mask is None or median_bkg:
            try:
                image_model = self._rate_image(model, flat, p)
            except ValueError as exc:
                self.log.error("Cannot make a draft rate (%s); skipped", exc)
                return "FAILED", none3
        else:
            image_model = model
        if self.user_mask is not None:
            with datamodels.open(self.user_mask) as um:
                mask = np.array(um.data, copy=True).astype(np.bool_)
        else:
            self.log.info("Creating mask")
            mask = create_mask(image_model, self.mask_science_regions, self.n_sigma,
                               self.fit_histogram, p.single_mask)  # fmt: skip
        mask_model = _intermediate(image_model, mask) if self.save_mask else None
        if not self._shapes_match(model, mask):
            return "FAILED", (mask_model, None, None)
        median = None
        if median_bkg:
            nints = 1 if model.data.ndim == 2 else model.shape[0]
            if (
                nints <= 1
                or exp_type in TSO_MEDIAN_TYPES
                or (exp_type == "MIR_IMAGE" and model.meta.get("visit.tsovisit"))
            ):
                self.log.warning(
                    "The median_image background is not available for this exposure "
                    "(nints=%d, %s): step skipped", nints, exp_type,
                )  # fmt: skip
                return "FAILED", (mask_model, None, None)
            try:
                median = median_image(model, image_model)
            except ValueError as err:
                self.log.warning("A median image could not be created: %s", err)
                return "FAILED", (mask_model, None, None)
            p.background_method = None
        status, bkg, noise = clean_exposure(
            model, mask, p, flat, median=median, keep_background=self.save_background,
            keep_noise=self.save_noise, n_threads=self.n_threads,
        )  # fmt: skip
        if status != "COMPLETE":
            return status, (mask_model, None, None)
        return status, (
            mask_model,
            None if bkg is None else _intermediate(model, bkg),
            None if noise is None else _intermediate(model, noise),
        )

    def _rate_image(self, model, flat, p):
        if isinstance(model, datamodels.RampModel):
            image_model = draft_rate(self, model, return_cube=not p.single_mask)
        else:
            image_model = model
        exp_type = str(model.meta.get("exposure.type") or "")
        if (self.mask_science_regions or p.background_method == "median_image") and (
            exp_type == "MIR_IMAGE"
        ):
            image_model = self._flat_dq(image_model)
        if flat is not None:
            if image_model is model:
                image_model = model.copy()
            image_model.data = image_model.data / flat
        return image_model

    def _flat_dq(self, image_model):
        """Add the DQ flags a flat field would set to the draft rate (MIRI: the regions
        outside the imager's field); the data are not changed."""
        from ..flat_field.flat_field_step import apply_flat

        self.log.info("Retrieving flat DQ values for scene masking")
        corrected = image_model.copy()
        flat = self.load_reference(corrected, "flat")
        if flat is None or any(
            a > b for a, b in zip(corrected.shape[-2:], flat.array_shape("data"), strict=True)
        ):
            return image_model
        apply_flat(corrected, flat)
        image_model.dq = image_model.dq | corrected.dq
        return image_model

    def _shapes_match(self, model, mask) -> bool:
        shape = model.shape
        if len(shape) > 2 and mask.ndim == 3 and mask.shape[0] != shape[0]:
            self.log.warning("Mask does not match data shape. Step will be skipped.")
            return False
        if len(shape) > 2 and mask.ndim == 2 and shape[0] > 1:
            self.log.info(
                "Data has multiple integrations, but mask is 2D: the same mask will be "
                "used for all integrations."
            )
        if mask.shape[-2:] != tuple(shape[-2:]):
            self.log.warning("Mask does not match data shape. Step will be skipped.")
            return False
        return True


def _intermediate(model, data):
    """A model holding intermediate data (mask, background, noise) with the metadata of
    ``model``."""
    cls = {4: datamodels.RampModel, 3: datamodels.CubeModel}.get(data.ndim, datamodels.ImageModel)
    out = cls()
    out.update(model)
    out.data = data
    return out
