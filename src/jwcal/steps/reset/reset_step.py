"""The reset step: subtract the MIRI reset anomaly from the first groups of each ramp."""

from __future__ import annotations

import numpy as np

from ... import datamodels
from ...stpipe import Step
from .._ramps import reference_dq, writeable

__all__ = ["ResetStep"]


class ResetStep(Step):
    """Subtract the RESET reference (the reset anomaly, per integration and group).

    The reference covers its first NINTS integrations and NGROUPS groups; later
    integrations use its last integration, later groups get no correction.  NaN counts
    as 0; the reference DQ is OR-ed into PIXELDQ.  Segmented exposures (INTSTART) are
    matched to the right integrations of the reference.
    """

    class_alias = "reset"
    cal_step = "reset"
    reference_file_types = ("reset",)

    def process(self, input):
        model = self.prepare_output(input, datamodels.RampModel)
        detector = str(model.meta.get("instrument.detector") or "").upper()
        if not detector.startswith("MIR"):
            self.log.warning("Reset correction is only for MIRI data; step skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        ref = self.load_reference(model, "reset")
        if ref is None:
            self.log.warning("No RESET reference file; reset skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        data = writeable(model, "data")
        nints_file, ngroups = data.shape[:2]
        reset = ref.data
        ref_nints = int(ref.meta.get("exposure.nints") or reset.shape[0])
        ref_ngroups = int(ref.meta.get("exposure.ngroups") or reset.shape[1])
        start = model.meta.get("exposure.integration_start")
        end = model.meta.get("exposure.integration_end")
        istart = int(start) - 1 if start is not None else 0
        iend = int(end) if end is not None else int(model.meta.exposure.nints or nints_file)
        igroup = min(ngroups, ref_ngroups)
        model.pixeldq = model.pixeldq | reference_dq(ref)
        for i in range(istart, iend):
            if i - istart >= nints_file:
                break
            ir = min(i, ref_nints - 1)
            corr = np.array(reset[ir, :igroup], dtype=np.float32)
            corr[np.isnan(corr)] = 0.0
            data[i - istart, :igroup] -= corr
        self.record_step_status(model, "COMPLETE")
        return model
