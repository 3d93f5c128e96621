"""The guider_cds step: count rates of FGS guide-mode data by correlated double sampling."""

from __future__ import annotations

import numpy as np

from ... import datamodels
from ...errors import InputError, ReferenceFileError
from ...stpipe import Step

__all__ = ["GuiderCdsStep"]


class GuiderCdsStep(Step):
    """Turn FGS guide-mode ramps (GuiderRawModel) into count rates (GuiderCalModel).

    ACQ1, ACQ2 and TRACK: each integration's rate is its second group minus its first,
    divided by the group time.  FINEGUIDE: the mean of the last 4 groups minus the mean of
    the first 4.  ID (ID-IMAGE, ID-STACK): the smaller of the two integrations' differences,
    one image.  ERR combines the read noise (``2 (RN/tgroup)**2``, RN from READNOISE) and the
    Poisson noise of the rate (with GAIN), negative Poisson variances counting as 0.  The
    DQ and the star tables are carried over; BUNIT becomes DN/s.
    """

    class_alias = "guider_cds"
    cal_step = "guider_cds"
    reference_file_types = ("gain", "readnoise")

    def process(self, input):
        model = self.prepare_output(input, datamodels.GuiderRawModel)
        gain = self._load_ref(model, "gain")
        if gain is None:
            self.log.warning("No GAIN reference file; guider_cds skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        readnoise = self._load_ref(model, "readnoise")
        if readnoise is None:
            self.log.warning("No READNOISE reference file; guider_cds skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        out = self._cds(model, self._plane(model, gain), self._plane(model, readnoise))
        self.record_step_status(out, "COMPLETE")
        return out

    def _load_ref(self, model, reftype):
        try:
            return self.load_reference(model, reftype)
        except ReferenceFileError:
            # ID-STACK images are not at a detector position: jwst then uses the
            # reference's mean (below), so a reference that cannot be cut is kept whole.
            if "STACK" not in str(model.meta.get("exposure.type") or ""):
                raise
            return datamodels.open(self.get_reference_file(model, reftype))

    def _plane(self, model, ref) -> np.ndarray:
        arr = np.asarray(ref.data, dtype=np.float32)
        shape = model.shape[-2:]
        if arr.shape != shape:
            self.log.debug("%s does not match the stacked image: using its mean", ref)
            arr = np.zeros(shape, np.float32) + np.mean(arr)
        return arr

    def _cds(self, model, gain, rn):
        tgroup = float(model.meta.exposure.group_time)
        exp_type = str(model.meta.get("exposure.type") or "")
        data = model.data
        nints = data.shape[0]
        var_rn_plane = 2 * (rn / tgroup) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            if exp_type.startswith("FGS_ID"):
                if nints < 2:
                    raise InputError(
                        f"{exp_type} data need 2 integrations, this exposure has {nints}"
                    )
                diff = np.minimum(data[1, 1] - data[1, 0], data[0, 1] - data[0, 0])
                rate = (diff / tgroup)[None]
                var_rn = var_rn_plane[None]
                var_pn = (diff / (gain * tgroup))[None]
            else:
                rate = np.empty((nints,) + data.shape[-2:], np.float32)
                var_pn = np.empty_like(rate)
                for i in range(nints):
                    if exp_type == "FGS_FINEGUIDE":
                        slope = data[i, -4:].mean(axis=0) - data[i, :4].mean(axis=0)
                    else:  # ACQ1, ACQ2, TRACK
                        slope = data[i, 1] - data[i, 0]
                    var_pn[i] = slope / (gain * tgroup)
                    rate[i] = slope / tgroup
                var_rn = np.broadcast_to(var_rn_plane, rate.shape)
        var_pn[var_pn < 0] = 0.0
        out = datamodels.GuiderCalModel()
        out.update(model)
        out.data = rate
        out.err = (var_rn + var_pn) ** 0.5
        out.dq = model.dq
        for name in ("planned_star_table", "flight_star_table"):
            tab = getattr(model, name)
            if tab is not None:
                setattr(out, name, tab)
        out.meta.bunit_data = "DN/s"
        return out
