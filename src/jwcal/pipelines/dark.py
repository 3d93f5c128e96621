"""``calwebb_dark``: the stage-1 corrections of dark exposures, up to (not including)
dark_current."""

from __future__ import annotations

from .. import datamodels
from ..steps.dq_init import DQInitStep
from ..steps.emicorr import EmiCorrStep
from ..steps.firstframe import FirstFrameStep
from ..steps.group_scale import GroupScaleStep
from ..steps.ipc import IPCStep
from ..steps.lastframe import LastFrameStep
from ..steps.linearity import LinearityStep
from ..steps.reset import ResetStep
from ..steps.rscd import RscdStep
from ..steps.saturation import SaturationStep
from ..steps.superbias import SuperBiasStep
from ..stpipe import Pipeline
from ..stpipe.registry import STEPS, is_available, load_class

__all__ = ["DarkPipeline"]


def _refpix_step():
    # The refpix step is developed alongside this pipeline; until it is part of jwcal the
    # pipeline runs without it (and says so), rather than not at all.
    entry = STEPS["refpix"]
    return load_class(entry) if is_available(entry) else None


_REFPIX = _refpix_step()


class DarkPipeline(Pipeline):
    """Calibrate a raw dark exposure into a corrected ramp (``_dark``).

    Near-IR: group_scale, dq_init, saturation, ipc, superbias, refpix, linearity.
    MIRI: group_scale, dq_init, emicorr, saturation, ipc, firstframe, lastframe, reset,
    linearity, rscd.  The order and the steps are jwst 3.0.0's; emicorr and firstframe are
    skipped by default, as there.
    """

    class_alias = "calwebb_dark"
    step_defs = {
        "group_scale": GroupScaleStep,
        "dq_init": DQInitStep,
        "emicorr": EmiCorrStep,
        "saturation": SaturationStep,
        "ipc": IPCStep,
        "superbias": SuperBiasStep,
        **({"refpix": _REFPIX} if _REFPIX is not None else {}),
        "reset": ResetStep,
        "rscd": RscdStep,
        "firstframe": FirstFrameStep,
        "lastframe": LastFrameStep,
        "linearity": LinearityStep,
    }

    def default_suffix(self) -> str:
        return "dark"

    def process(self, input):
        self.log.info("Starting calwebb_dark ...")
        model = self.prepare_output(input, datamodels.RampModel)
        if str(model.meta.get("instrument.name") or "").upper() == "MIRI":
            order = ("group_scale", "dq_init", "emicorr", "saturation", "ipc", "firstframe",
                     "lastframe", "reset", "linearity", "rscd")  # fmt: skip
        else:
            order = ("group_scale", "dq_init", "saturation", "ipc", "superbias", "refpix",
                     "linearity")  # fmt: skip
        for name in order:
            if name not in self.step_defs:
                self.log.warning("%s is not available in this jwcal: not applied", name)
                continue
            model = getattr(self, name).run(model)
        self.log.info("... ending calwebb_dark")
        return model
