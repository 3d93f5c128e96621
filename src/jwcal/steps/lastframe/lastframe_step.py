"""The lastframe step: flag the last group of MIRI ramps DO_NOT_USE."""

from __future__ import annotations

import numpy as np

from ... import datamodels
from ...dqflags import group as GROUP
from ...stpipe import Step

__all__ = ["LastFrameStep"]


class LastFrameStep(Step):
    """Flag the final group of MIRI ramps with more than 2 groups as DO_NOT_USE (the last
    frame is disturbed by the reset of the next row pair)."""

    class_alias = "lastframe"
    cal_step = "lastframe"

    def process(self, input):
        model = self.prepare_output(input, datamodels.RampModel)
        detector = str(model.meta.get("instrument.detector") or "").upper()
        if not detector.startswith("MIR"):
            self.log.warning("Last frame correction is only for MIRI data; step skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        if model.shape[1] <= 2:
            self.log.warning("Too few groups to apply correction; step skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        model.groupdq[:, -1] |= np.uint8(GROUP["DO_NOT_USE"])
        self.record_step_status(model, "COMPLETE")
        return model
