"""The persistence step (jwst 3.0): flag groups read while a persistence window is open."""

from __future__ import annotations

import numpy as np

from jwcore.detector import flag_persistence_windows

from ... import datamodels
from ...dqflags import group as GROUP
from ...stpipe import Param, Step
from .._ramps import writeable
from .persistence_file import read_windows, write_windows

__all__ = ["PersistenceStep"]

_MJD_UNIX_EPOCH = 40587.0


def _unix_seconds(mjd: float) -> float:
    return (mjd - _MJD_UNIX_EPOCH) * 86400.0


class PersistenceStep(Step):
    """Flag PERSISTENCE (optionally with DO_NOT_USE) in groups read within
    ``persistence_time`` seconds after a pixel saturated (or went above ``dn_threshold``).

    This is the jwst 3.0 step, which flags rather than subtracts.  The windows still open
    at the end of an exposure are carried to the next one through a persistence file:
    ``persistence_array_file`` reads them, ``save_persistence`` writes them (an ASDF file
    shared by all detectors).  Without ``persistence_time`` the step FAILS, as jwst's does.
    Group times come from the INT_TIMES table when present, else from the exposure start;
    each group is read one group time after the previous one.  Off by default.
    """

    class_alias = "persistence"
    cal_step = "persistence"
    params = {
        "save_persistence": Param(str, None, "ASDF file to save the open persistence windows to"),
        "persistence_time": Param(int, None, "length (s) of a persistence window"),
        "dn_threshold": Param(float, None, "values above it open a window too"),
        "persistence_array_file": Param(str, None, "ASDF file of windows from earlier exposures"),
        "persistence_dnu": Param(bool, False, "also flag DO_NOT_USE with PERSISTENCE"),
        "skip": Param(bool, True, "skip this step (inside a pipeline)"),
    }

    def process(self, input):
        model = self.prepare_output(input, datamodels.RampModel)
        if self.persistence_time is None or self.persistence_time <= 0:
            self.log.info("Persistence step failed: persistence_time must be positive")
            self.record_step_status(model, "FAILED")
            return model
        nints, ngroups, ny, nx = model.shape
        detector = str(model.meta.get("instrument.detector") or "")
        if self.persistence_array_file is not None:
            window = read_windows(
                self.persistence_array_file, detector, (ny, nx), self.persistence_time
            )
        else:
            window = np.zeros((ny, nx), np.float64)
        flag = GROUP["PERSISTENCE"]
        if self.persistence_dnu:
            flag |= GROUP["DO_NOT_USE"]
        gdq = writeable(model, "groupdq")
        data = model.data if self.dn_threshold is not None else None
        n_reset = 0
        for integ in range(nints):
            times = self._group_times(model, integ, ngroups)
            n_reset += flag_persistence_windows(
                gdq[integ],
                window,
                times,
                float(self.persistence_time),
                data=None if data is None else data[integ],
                dn_threshold=self.dn_threshold,
                flag=flag,
                n_threads=self.n_threads,
            )
        if n_reset:
            self.log.info("Backwards flagging found: reset the window of %d pixels", n_reset)
        self.record_step_status(model, "COMPLETE")
        if self.save_persistence is not None:
            path = write_windows(
                self.save_persistence,
                detector,
                model.meta.get("filename"),
                window,
                self.persistence_time,
            )
            self.log.info("Saved the persistence windows to %s", path)
        return model

    @staticmethod
    def _group_times(model, integ: int, ngroups: int) -> np.ndarray:
        """Unix seconds at which each group of integration ``integ`` was read."""
        tab = model.int_times
        if tab is not None and len(tab) > integ:
            start = _unix_seconds(float(tab[integ]["int_start_MJD_UTC"]))
        else:
            start = _unix_seconds(float(model.meta.exposure.start_time)) + integ * float(
                model.meta.exposure.integration_time
            )
        group_time = float(model.meta.exposure.group_time)
        times = np.empty(ngroups, np.float64)
        t = start
        for g in range(ngroups):
            t = t + group_time
            times[g] = t
        return times
