"""The firstframe step: flag the first group of MIRI ramps DO_NOT_USE."""

from __future__ import annotations

import numpy as np

from ... import datamodels
from ...dqflags import group as GROUP
from ...dqflags import pixel as PIXEL
from ...stpipe import Param, Step

__all__ = ["FirstFrameStep"]


class FirstFrameStep(Step):
    """Flag group 1 of MIRI ramps with more than 3 groups as DO_NOT_USE.

    With ``bright_use_group1``, pixels whose group 3 is saturated keep group 1 (they may
    have no other usable group) and get FLUX_ESTIMATED in PIXELDQ.  jwst 2.0 deprecated
    this step (the rscd step now flags the first group); it is off by default.
    """

    class_alias = "firstframe"
    cal_step = "firstframe"
    params = {
        "bright_use_group1": Param(bool, True, "keep group 1 where group 3 is saturated"),
        "skip": Param(bool, True, "skip this step (inside a pipeline)"),
    }

    def process(self, input):
        model = self.prepare_output(input, datamodels.RampModel)
        self.log.warning(
            "FirstFrameStep is deprecated since jwst 2.0: the rscd step flags the first group"
        )
        detector = str(model.meta.get("instrument.detector") or "").upper()
        if not detector.startswith("MIR"):
            self.log.warning("First frame correction is only for MIRI data; step skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        if model.shape[1] <= 3:
            self.log.warning("Too few groups to apply correction; step skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        gdq = model.groupdq
        dnu = np.uint8(GROUP["DO_NOT_USE"])
        if self.bright_use_group1:
            bright = (gdq[:, 2] & GROUP["SATURATED"]) != 0
            first = gdq[:, 0]
            first[~bright] |= dnu
            kept = bright.any(axis=0)
            pdq = model.pixeldq
            pdq[kept] |= PIXEL["FLUX_ESTIMATED"]
            n_good = int(np.count_nonzero((pdq[kept] & PIXEL["DO_NOT_USE"]) == 0))
            self.log.info(
                "Number of usable bright pixels with first group not set to DO_NOT_USE: %d",
                n_good,
            )
        else:
            gdq[:, 0] |= dnu
        self.record_step_status(model, "COMPLETE")
        return model
