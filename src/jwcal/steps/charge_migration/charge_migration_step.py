"""The charge_migration step: flag groups where charge migrates to neighbouring pixels."""

from __future__ import annotations

from jwcore.detector import flag_charge_migration

from ... import datamodels
from ...stpipe import Param, Step
from .._ramps import writeable

__all__ = ["ChargeMigrationStep"]


class ChargeMigrationStep(Step):
    """Flag CHARGELOSS and DO_NOT_USE from the first group above ``signal_threshold``
    onwards, in the pixel and its four nearest neighbours (the "brighter-fatter" charge
    migration of bright sources).  Exposures with fewer than 3 groups are left alone.
    Off by default, as in jwst."""

    class_alias = "charge_migration"
    cal_step = "charge_migration"
    params = {
        "signal_threshold": Param(float, 25000.0, "value (DN) above which charge migrates"),
        "skip": Param(bool, True, "skip this step (inside a pipeline)"),
    }

    def process(self, input):
        model = self.prepare_output(input, datamodels.RampModel)
        if model.shape[1] < 3:
            self.log.info("Too few groups per integration; charge_migration skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        self.log.info("Using signal_threshold: %.2f", self.signal_threshold)
        gdq = writeable(model, "groupdq")
        flag_charge_migration(model.data, gdq, self.signal_threshold, n_threads=self.n_threads)
        self.record_step_status(model, "COMPLETE")
        return model
