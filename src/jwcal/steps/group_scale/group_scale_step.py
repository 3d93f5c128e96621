"""The group_scale step: correct on-board frame averaging for NFRAMES not a power of 2."""

from __future__ import annotations

from ... import datamodels
from ...stpipe import Step

__all__ = ["GroupScaleStep"]


class GroupScaleStep(Step):
    """Rescale every group by FRMDIVSR/NFRAMES.

    The on-board averaging of frames into groups divides by a power of 2 (FRMDIVSR); when
    NFRAMES is not that number the groups are off by FRMDIVSR/NFRAMES.  The step does
    nothing (status SKIPPED) when NFRAMES is missing, when FRMDIVSR is missing and NFRAMES
    is a power of 2, or when the two are equal.
    """

    class_alias = "group_scale"
    cal_step = "group_scale"

    def process(self, input):
        model = self.prepare_output(input, datamodels.RampModel)
        nframes = model.meta.exposure.nframes
        divisor = model.meta.exposure.frame_divisor
        if nframes is None:
            self.log.warning("NFRAMES not found; step skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        if divisor is None:
            if nframes & (nframes - 1) == 0:
                self.log.info("NFRAMES=%d is a power of 2; no correction needed", nframes)
                self.record_step_status(model, "SKIPPED")
                return model
            # jwst leaves the exposure alone here too: without FRMDIVSR the divisor the
            # instrument used is unknown.
            self.log.warning("FRMDIVSR not found and NFRAMES=%d; step skipped", nframes)
            self.record_step_status(model, "SKIPPED")
            return model
        if nframes == divisor:
            self.log.info("NFRAMES and FRMDIVSR are equal; no correction needed")
            self.record_step_status(model, "SKIPPED")
            return model
        scale = float(divisor) / nframes
        self.log.info(
            "NFRAMES=%d, FRMDIVSR=%d: rescaling all groups by %g", nframes, divisor, scale
        )
        # In place and in float32, exactly as jwst (a Python float scales a float32 array
        # in float32 arithmetic).
        model.data *= scale
        self.record_step_status(model, "COMPLETE")
        return model
