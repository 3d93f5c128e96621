"""The background step of calwebb_image2: subtract the combined background exposures."""

from __future__ import annotations

import os

import numpy as np

from ... import datamodels
from ...errors import InputError
from ...stpipe import Param, Step
from ...stpipe.stepio import is_model
from .combine import average_background

__all__ = ["BackgroundStep"]

_UNSUPPORTED = ("NIS_WFSS", "NRC_WFSS", "NRC_GRISM", "MIR_WFSS", "NIS_SOSS")


class BackgroundStep(Step):
    """Subtract the sigma-clipped mean of background exposures from a science exposure.

    The backgrounds are the association's ``background`` members, else the list the
    pipeline passes, else ``bkg_list``.  Each is cut to the science exposure's subarray;
    for a ``_rateints`` exposure each background is first averaged over its integrations
    with ``sigma`` clipping; the backgrounds are then clipped against each other per pixel
    (``sigma``, ``maxiters``) and averaged.  SCI has the mean subtracted and DQ gets the
    backgrounds' flags OR-ed in (ERR is left as it is, as in jwst 3.0).  With
    ``save_combined_background`` the mean is written (``_combinedbackground``).  NIRSpec
    exposures whose grating tilt differs from a background's are skipped.  WFSS and SOSS
    background subtraction (from the BKG reference) is not available in jwcal.
    """

    class_alias = "bkg_subtract"
    cal_step = "bkg_subtract"
    params = {
        "bkg_list": Param(
            list, None, "background files (ignored with an association)", item_type=str
        ),  # fmt: skip
        "save_combined_background": Param(bool, False, "save the combined background image"),
        "sigma": Param(float, 3.0, "clipping threshold, standard deviations"),
        "maxiters": Param(int, None, "clipping iterations (None: until nothing changes)"),
        "soss_source_percentile": Param(float, 35.0, "SOSS only (not in jwcal)"),
        "soss_bkg_percentile": Param(list, None, "SOSS only (not in jwcal)", item_type=float),
        "wfss_mmag_extract": Param(float, None, "WFSS only (not in jwcal)"),
        "wfss_mask": Param(str, None, "WFSS only (not in jwcal)"),
        "wfss_maxiter": Param(int, 5, "WFSS only (not in jwcal)"),
        "wfss_rms_stop": Param(float, 0.0, "WFSS only (not in jwcal)"),
        "wfss_outlier_percent": Param(float, 1.0, "WFSS only (not in jwcal)"),
    }
    reference_file_types = ("bkg", "wavelengthrange")
    bkg_suffix = "combinedbackground"

    def process(self, input, input_bkg_list=None):
        model, members = self._science(input)
        exp_type = str(model.meta.get("exposure.type") or "").upper()
        if exp_type in _UNSUPPORTED:
            raise InputError(f"background subtraction of {exp_type} data (from the BKG "
                             "reference) is not available in jwcal")  # fmt: skip
        bkg_list = members or _as_list(input_bkg_list) or list(self.bkg_list or [])
        bkg_list = [b for b in bkg_list if is_model(b) or b]
        if not bkg_list:
            self.log.warning("No background exposures given: step skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        if not self._same_tilt(model, bkg_list):
            self.log.warning("GWA_XTIL/GWA_YTIL of the science and background differ: skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        data, err, dq = average_background(
            model, bkg_list, self.sigma, self.maxiters, self._open, self.log
        )
        self.log.info("Subtracting the average background from %s",
                      model.meta.get("filename") or "the exposure")  # fmt: skip
        sci = model.data
        if not (sci.flags.writeable and sci.dtype.isnative):
            sci = model.data = np.array(sci, dtype=np.float32)
        sci -= data
        model.dq = model.dq | dq
        self.record_step_status(model, "COMPLETE")
        if self.save_combined_background:
            bkg = datamodels.ImageModel(data)
            bkg.err = err
            bkg.dq = dq
            bkg.update(model)
            path = self.save_model(bkg, suffix=self.bkg_suffix, force=True)
            self.log.info("Combined background written to %s", path)
        return model

    def _science(self, input):
        from ...associations import Association

        obj = input
        if isinstance(obj, (str, os.PathLike)) and str(obj).lower().endswith(".json"):
            obj = self.prepare_output(obj)
        if isinstance(obj, Association):
            if len(obj.products) > 1:
                self.log.warning("Multiple products in the association: using the first")
            sci = obj.members("science", product=0)
            if not sci:
                raise InputError(f"{obj.path}: no science member in the first product")
            if len(sci) > 1:
                self.log.warning("Several science members: using the first")
            model = self.prepare_output(str(obj.member_path(sci[0])))
            bkg = [str(obj.member_path(m)) for m in obj.members("background", product=0)]
            return model, bkg
        return self.prepare_output(obj), []

    def _open(self, item):
        if is_model(item):
            return item
        return datamodels.open(self.make_input_path(item))

    def _same_tilt(self, model, bkg_list) -> bool:
        if str(model.meta.get("instrument.name") or "").upper() != "NIRSPEC":
            return True
        tilt = (model.meta.get("instrument.gwa_xtilt"), model.meta.get("instrument.gwa_ytilt"))
        for b in bkg_list:
            bm = self._open(b)
            other = (bm.meta.get("instrument.gwa_xtilt"), bm.meta.get("instrument.gwa_ytilt"))
            if None in tilt or None in other or not np.allclose(tilt, other, atol=1e-8, rtol=0):
                return False
        return True


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.split(",")] if "," in value else [value]
    return list(value)
