"""Stage 1: ramps to count rates (``calwebb_detector1``, ``calwebb_tso1``, ``calwebb_sloper``)."""

from __future__ import annotations

from typing import ClassVar

from ..steps.charge_migration import ChargeMigrationStep
from ..steps.clean_flicker_noise import CleanFlickerNoiseStep
from ..steps.dark_current import DarkCurrentStep
from ..steps.dq_init import DQInitStep
from ..steps.emicorr import EmiCorrStep
from ..steps.firstframe import FirstFrameStep
from ..steps.gain_scale import GainScaleStep
from ..steps.group_scale import GroupScaleStep
from ..steps.ipc import IPCStep
from ..steps.jump import JumpStep
from ..steps.lastframe import LastFrameStep
from ..steps.linearity import LinearityStep
from ..steps.persistence import PersistenceStep
from ..steps.picture_frame import PictureFrameStep
from ..steps.ramp_fit import RampFitStep
from ..steps.refpix import RefPixStep
from ..steps.refpix.irs2 import is_irs2
from ..steps.reset import ResetStep
from ..steps.rscd import RscdStep
from ..steps.saturation import SaturationStep
from ..steps.superbias import SuperBiasStep
from ..stpipe import Param, Pipeline
from .integrations import ramp_nbytes, read_ramp, run_per_integration

__all__ = ["Detector1Pipeline", "SloperPipeline", "NEAR_IR_ORDER", "MIRI_ORDER"]

#: The corrections before jump detection, in jwst 3.0.0's order for near-IR detectors ...
NEAR_IR_ORDER = (
    "group_scale",
    "dq_init",
    "saturation",
    "ipc",
    "superbias",
    "refpix",
    "linearity",
    "dark_current",
    "charge_migration",
)
#: ... and for MIRI.
MIRI_ORDER = (
    "group_scale",
    "dq_init",
    "emicorr",
    "saturation",
    "ipc",
    "firstframe",
    "lastframe",
    "reset",
    "linearity",
    "rscd",
    "dark_current",
    "refpix",
    "charge_migration",
)


class Detector1Pipeline(Pipeline):
    """Detector corrections and ramp fitting: a raw exposure in, count rates out.

    The steps run in jwst 3.0.0's order (near-IR and MIRI differ before jump detection),
    then jump, picture_frame, clean_flicker_noise, persistence, ramp_fit and gain_scale.
    Products: ``_rate`` (ImageModel, returned), ``_rateints`` (CubeModel, for exposures of
    several integrations), ``_ramp`` with ``save_calibrated_ramp`` (the ramps before
    fitting), ``_fitopt`` with ``steps.ramp_fit.save_opt``.  When ramp_fit is skipped the
    ramps are the product (``_ramp``).

    The raw exposure is read one integration at a time into a float32 cube.  Large
    exposures of several integrations run their corrections before jump detection one
    integration at a time (:mod:`jwcal.pipelines.integrations`), so that no step makes
    temporaries larger than an integration; jump detection and ramp fitting see the whole
    exposure, as they must.
    """

    class_alias = "calwebb_detector1"
    params = {
        "save_calibrated_ramp": Param(bool, False, "save the corrected ramps before ramp_fit"),
    }
    step_defs = {
        "group_scale": GroupScaleStep,
        "dq_init": DQInitStep,
        "emicorr": EmiCorrStep,
        "saturation": SaturationStep,
        "ipc": IPCStep,
        "superbias": SuperBiasStep,
        "refpix": RefPixStep,
        "rscd": RscdStep,
        "firstframe": FirstFrameStep,
        "lastframe": LastFrameStep,
        "linearity": LinearityStep,
        "dark_current": DarkCurrentStep,
        "reset": ResetStep,
        "persistence": PersistenceStep,
        "charge_migration": ChargeMigrationStep,
        "jump": JumpStep,
        "picture_frame": PictureFrameStep,
        "clean_flicker_noise": CleanFlickerNoiseStep,
        "ramp_fit": RampFitStep,
        "gain_scale": GainScaleStep,
    }

    #: Exposures of several integrations whose float32 ramps and group DQ take at least
    #: this many bytes run their corrections before jump one integration at a time.
    stream_min_bytes: ClassVar[int] = 1 << 30

    def process(self, input):
        self.log.info("Starting calwebb_detector1 ...")
        model = read_ramp(self, input)
        # As jwst: steps that write extra products put them beside the pipeline's.
        self.dark_current.output_dir = self.output_dir
        self.ramp_fit.output_dir = self.output_dir

        miri = str(model.meta.instrument.name or "").upper() == "MIRI"
        order = MIRI_ORDER if miri else NEAR_IR_ORDER
        self.log.debug("Processing a %s exposure", "MIRI" if miri else "Near-IR")
        if miri and not self.firstframe.skip:
            self.log.info(
                "The firstframe step has been deprecated and will be removed in a future "
                "release; flagging the first groups has been added to the RSCD step"
            )
        if self._stream(model, order):
            self.log.info("Correcting the %d integrations one at a time", model.shape[0])
            model = run_per_integration(self, model, list(order))
        else:
            for name in order:
                model = getattr(self, name).run(model)

        model = self.jump.run(model)
        model = self.picture_frame.run(model)
        model = self.clean_flicker_noise.run(model)
        model = self.persistence.run(model)
        if self.save_calibrated_ramp:
            self.save_model(model, "ramp")

        # NINTS of the exposure: a segment of a long exposure can hold one integration.
        nints = max(int(model.meta.get("exposure.nints") or 1), model.shape[0])
        if self.ramp_fit.skip:
            result, ints = self.ramp_fit.run(model), None
        else:
            result, ints = self.ramp_fit.run(model)
        # The ramps are no longer needed: free them before the products are written.
        del model

        self.gain_scale.suffix = "gain_scale"
        result = self.gain_scale.run(result)
        if ints is not None and nints > 1:
            self.gain_scale.suffix = "gain_scaleints"
            ints = self.gain_scale.run(ints)
            self.save_model(ints, "rateints")
        self._setup_output(result)
        self.log.info("... ending calwebb_detector1")
        return result

    def _stream(self, model, order) -> bool:
        """Whether to run the corrections before jump one integration at a time."""
        if not hasattr(model, "groupdq") or model.shape[0] < 2:
            return False
        if ramp_nbytes(model.shape) < self.stream_min_bytes:
            return False
        for name in order:
            step = getattr(self, name)
            if step.skip:
                continue
            # Hooks and saved intermediate products are the user's view of whole exposures.
            if step.pre_hooks or step.post_hooks or step.save_results or step.output_file:
                return False
            # These two need every integration at once: emicorr fits the noise phase over
            # all of them, and IRS2 reference-pixel flags are the union over integrations.
            if name == "emicorr" or (name == "refpix" and is_irs2(model)):
                return False
        return True

    def _setup_output(self, result) -> None:
        """The product's suffix: ``rate`` when ramps were fitted, else ``ramp``."""
        if result is None:
            return
        fitted = result.meta.get("cal_step.ramp_fit") == "COMPLETE"
        self.suffix = "rate" if fitted else "ramp"


class SloperPipeline(Detector1Pipeline):
    """``calwebb_sloper``: stage 1 under its build-7 name, which ran without the ipc step."""

    class_alias = "calwebb_sloper"
    step_params: ClassVar[dict[str, dict]] = {"ipc": {"skip": True}}
