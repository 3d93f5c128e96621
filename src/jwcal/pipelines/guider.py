"""``calwebb_guider``: count rates of FGS guide-mode exposures (ID, ACQ1, ACQ2, TRACK,
FineGuide)."""

from __future__ import annotations

from .. import datamodels
from ..steps.dq_init import DQInitStep
from ..steps.flat_field import FlatFieldStep
from ..steps.guider_cds import GuiderCdsStep
from ..stpipe import Pipeline

__all__ = ["GuiderPipeline"]


class GuiderPipeline(Pipeline):
    """dq_init, guider_cds and flat_field: a 3-D count-rate product (``_cal``), one image
    per integration (one for ID modes).  When dq_init and guider_cds are both skipped, the
    input is taken as their output (a GuiderCalModel) and only flat-fielded."""

    class_alias = "calwebb_guider"
    step_defs = {
        "dq_init": DQInitStep,
        "guider_cds": GuiderCdsStep,
        "flat_field": FlatFieldStep,
    }

    def default_suffix(self) -> str:
        return "cal"

    def process(self, input):
        self.log.info("Starting calwebb_guider ...")
        if self.dq_init.skip and self.guider_cds.skip:
            self.log.info(
                "dq_init and guider_cds are set to skip: the input is taken as their output"
            )
            model = self.prepare_output(input, datamodels.GuiderCalModel)
        else:
            model = self.prepare_output(input, datamodels.GuiderRawModel)
        model = self.dq_init.run(model)
        model = self.guider_cds.run(model)
        model = self.flat_field.run(model)
        self.log.info("... ending calwebb_guider")
        return model
