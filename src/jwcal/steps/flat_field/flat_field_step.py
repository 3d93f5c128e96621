"""The flat_field step for imaging: divide by the FLAT reference, propagate its variance."""

from __future__ import annotations

import numpy as np

from ... import datamodels
from ...dqflags import pixel as PIXEL
from ...errors import InputError
from ...references.subarray import fit_to_exposure
from ...stpipe import Param, Step
from .._ramps import reference_dq

__all__ = ["FlatFieldStep"]

#: NIRSpec spectroscopic modes need the fore-optics, spectrograph and detector flats
#: interpolated in wavelength; NIRSpec imaging modes use a FLAT like the other instruments.
NRS_SPEC_MODES = ("NRS_BRIGHTOBJ", "NRS_FIXEDSLIT", "NRS_IFU", "NRS_MSASPEC", "NRS_LAMP",
                  "NRS_AUTOWAVE")  # fmt: skip
NRS_IMAGING_MODES = ("NRS_CONFIRM", "NRS_FOCUS", "NRS_IMAGE", "NRS_MIMF", "NRS_MSATA",
                     "NRS_TACONFIRM", "NRS_TACQ", "NRS_TASLIT", "NRS_WATA")  # fmt: skip
EXTRACT_2D_IS_OK = ("NRS_BRIGHTOBJ", "NRS_FIXEDSLIT", "NRS_LAMP", "NRS_MSASPEC", "NRS_AUTOWAVE",
                    "NRS_AUTOFLAT")  # fmt: skip

_BAD = PIXEL["DO_NOT_USE"] | PIXEL["NO_FLAT_FIELD"]


class FlatFieldStep(Step):
    """Divide an image, a cube of images or FGS count rates by the flat field.

    Flat values that are NaN or 0 are flagged NO_FLAT_FIELD and DO_NOT_USE; pixels flagged
    NO_FLAT_FIELD get DO_NOT_USE; DO_NOT_USE pixels are not corrected (flat 1).  The
    flat's error gives VAR_FLAT (``(data/flat)**2 / flat**2 * flat_err**2``, as jwst computes
    it), VAR_POISSON and VAR_RNOISE are divided by ``flat**2`` and ERR recomputed (for FGS
    data, which have no such variances, VAR_FLAT is added to ERR**2).  The flat DQ is OR-ed
    into DQ, and invalid values are made consistent (NaN in every array and DO_NOT_USE).
    ``inverse`` multiplies instead.  The flat is cut to the exposure's subarray.
    NIRSpec spectroscopic exposures (fflat, sflat, dflat) are not supported by jwcal.
    """

    class_alias = "flat_field"
    cal_step = "flat_field"
    params = {
        "save_interpolated_flat": Param(bool, False, "save the flat that was applied"),
        "user_supplied_flat": Param(str, None, "flat field file to use instead of FLAT"),
        "inverse": Param(bool, False, "multiply by the flat instead of dividing"),
    }
    reference_file_types = ("flat", "fflat", "sflat", "dflat")
    flat_suffix = "interpolatedflat"

    def process(self, input):
        model = self.prepare_output(input)
        exp_type = str(model.meta.get("exposure.type") or "").upper()
        instrument = str(model.meta.get("instrument.name") or "").upper()
        if instrument == "NIRSPEC":
            if exp_type in NRS_SPEC_MODES and model.meta.get("instrument.lamp_mode") != "IMAGE":
                raise InputError(
                    f"flat_field of NIRSpec spectroscopic data ({exp_type}) is not available in "
                    "jwcal"
                )
            if exp_type not in NRS_IMAGING_MODES:
                self.log.warning("Flat fielding is not supported for %s; skipped", exp_type)
                self.record_step_status(model, "SKIPPED")
                return model
        if model.meta.get("cal_step.extract_2d") == "COMPLETE" and exp_type not in (
            EXTRACT_2D_IS_OK
        ):
            self.log.warning("extract_2d should not have been run on %s data; skipped", exp_type)
            self.record_step_status(model, "SKIPPED")
            return model
        flat = self._flat(model)
        if flat is None:
            self.log.warning("No flat found or supplied; flat_field skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        fshape = flat.array_shape("data")
        if model.shape[-1] > fshape[-1] or model.shape[-2] > fshape[-2]:
            self.log.warning("The flat is smaller than the science data; flat_field skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        flat = fit_to_exposure(flat, model, "FLAT")
        apply_flat(model, flat, inverse=self.inverse)
        self.record_step_status(model, "COMPLETE")
        if self.save_interpolated_flat:
            path = self.save_model(flat, suffix=self.flat_suffix, force=True)
            self.log.info("Flat written to %s", path)
        return model

    def _flat(self, model):
        if self.user_supplied_flat is not None:
            flat = datamodels.open(self.user_supplied_flat)
            self.log.info("Using the user-supplied flat %s", self.user_supplied_flat)
            self._record_ref(model, "flat", str(flat.meta.get("filename") or ""))
            return flat
        found = self.get_reference_file(model, "flat")
        if not isinstance(found, str):
            return found.copy()
        if found == "N/A":
            return None
        return datamodels.FlatModel(found)


def apply_flat(science, flat, inverse: bool = False) -> None:
    """Flat-field ``science`` in place with a flat already cut to it (jwst's arithmetic).

    Parameters
    ----------
    science : ImageModel, CubeModel or GuiderCalModel
        The data; its DQ, ERR and variance arrays are updated.
    flat : FlatModel
        The flat field, the same size as the science images.
    inverse : bool
        Multiply by the flat instead of dividing.
    """
    # jwst's expressions, evaluated in place (the same float32 operations in the same
    # order, so the same bits) to keep full-frame temporaries few
    fdata = np.array(flat.data, dtype=np.float32)
    fdq = reference_dq(flat).copy() if flat.has("dq") else np.zeros(fdata.shape, np.uint32)
    ferr2 = (
        np.square(np.asarray(flat.err, dtype=np.float32))
        if flat.has("err")
        else np.zeros_like(fdata)
    )
    bad = np.isnan(fdata)
    bad |= fdata == 0.0
    fdq[bad] |= _BAD
    del bad
    fdq[(fdq & PIXEL["NO_FLAT_FIELD"]) != 0] |= PIXEL["DO_NOT_USE"]
    fdata[(fdq & PIXEL["DO_NOT_USE"]) != 0] = 1.0
    f2 = fdata * fdata
    guider = isinstance(science, datamodels.GuiderCalModel)
    data = _own(science, "data")
    var_flat = np.zeros(data.shape, np.float32)
    planes = [...] if data.ndim == 2 else range(data.shape[0])
    for k in planes:
        if not inverse:
            data[k] /= fdata
            vf = var_flat[k]
            np.square(data[k], out=vf)  # data**2 / f2 * ferr**2
            vf /= f2
            vf *= ferr2
        else:
            data[k] *= fdata
    science.var_flat = var_flat
    if not guider:
        vp, vr = _own(science, "var_poisson"), _own(science, "var_rnoise")
        err = _own(science, "err")
        for k in planes:
            if not inverse:
                vp[k] /= f2
                vr[k] /= f2
                e = err[k]
                np.add(vp[k], vr[k], out=e)  # sqrt(vp + vr + var_flat)
                e += var_flat[k]
                np.sqrt(e, out=e)
            else:
                vp[k] *= f2
                vr[k] *= f2
                err[k] = np.sqrt(vp[k] + vr[k])
    elif not inverse:
        err = _own(science, "err")
        for k in planes:
            err[k] = np.sqrt(err[k] ** 2 + var_flat[k])
    science.dq = science.dq | fdq
    match_nans_and_flags(science)


def _own(model, name) -> np.ndarray:
    arr = getattr(model, name)
    if not arr.flags.writeable or not arr.dtype.isnative:
        arr = np.array(arr, dtype=arr.dtype.newbyteorder("="), copy=True)
        setattr(model, name, arr)
    return arr


def match_nans_and_flags(model) -> None:
    """Make invalid values consistent, as jwst does after each stage-2 step: a pixel that
    is NaN in the data, ERR or a variance, or flagged DO_NOT_USE (when the DQ has the data's
    shape), becomes NaN in all of them and DO_NOT_USE."""
    names = [n for n in ("data", "err", "var_rnoise", "var_poisson", "var_flat")
             if _array(model, n) is not None]  # fmt: skip
    if not names:
        return
    shape = _array(model, names[0]).shape
    names = [n for n in names if _array(model, n).shape == shape]
    invalid = np.zeros(shape, bool)
    for n in names:
        invalid |= np.isnan(_array(model, n))
    dq = _array(model, "dq")
    if dq is not None and dq.shape == shape:
        invalid |= (dq & PIXEL["DO_NOT_USE"]) != 0
        np.bitwise_or(dq, dq.dtype.type(PIXEL["DO_NOT_USE"]), out=dq, where=invalid)
    for n in names:
        np.copyto(_array(model, n), np.nan, where=invalid)


def _array(model, name):
    if name in model.schema_def.arrays:
        return getattr(model, name) if model.has(name) else None
    return getattr(model, name, None)
