"""The gain_scale step: multiply count rates by GAINFACT."""

from __future__ import annotations

from ... import datamodels
from ...references import NOT_APPLICABLE
from ...stpipe import Step

__all__ = ["GainScaleStep"]


class GainScaleStep(Step):
    """Rescale a count-rate product by the gain factor (GAINFACT).

    The factor is the exposure's own GAINFACT when it has one, otherwise the GAINFACT
    keyword of the GAIN reference file; with neither the step does nothing (SKIPPED).
    SCI and ERR are multiplied by the factor, VAR_POISSON and VAR_RNOISE by its square.
    """

    class_alias = "gain_scale"
    cal_step = "gain_scale"
    reference_file_types = ("gain",)

    def process(self, input):
        model = self.prepare_output(input)
        factor = model.meta.exposure.gain_factor
        if factor is None:
            path = self.get_reference_file(model, "gain")
            if path != NOT_APPLICABLE:
                # Only the header is needed: the lazy model never reads the gain image.
                ref = path if not isinstance(path, str) else datamodels.open(path)
                factor = ref.meta.get("exposure.gain_factor")
                if ref is not path:
                    ref.close()
            if factor is None:
                self.log.info("GAINFACT not found in the gain reference file; step skipped")
                self.record_step_status(model, "SKIPPED")
                return model
        factor = float(factor)
        self.log.info("Rescaling by %g", factor)
        model.data *= factor
        model.err *= factor
        for name in ("var_poisson", "var_rnoise"):
            if model.has(name) and getattr(model, name).size > 0:
                getattr(model, name)[...] *= factor**2
        model.meta.exposure.gain_factor = factor
        self.record_step_status(model, "COMPLETE")
        return model
