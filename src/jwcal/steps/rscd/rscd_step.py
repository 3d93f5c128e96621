"""The rscd step: flag the first groups of MIRI ramps, disturbed by the reset switch."""

from __future__ import annotations

import numpy as np

from ... import datamodels
from ...dqflags import group as GROUP
from ...dqflags import pixel as PIXEL
from ...stpipe import Step

__all__ = ["RscdStep"]


class RscdStep(Step):
    """Flag as DO_NOT_USE the first N groups of each MIRI integration (reset-switch charge
    decay), N from the RSCD reference for the exposure's subarray and read pattern, one
    value for integration 1 and one for the others.

    At least 3 groups are always left (N is lowered when needed; with 5 groups or fewer,
    N is 1).  Where saturation would leave fewer than 2 usable groups after the flagged
    ones, N is lowered pixel by pixel (down to 0) and the pixel gets FLUX_ESTIMATED.
    """

    class_alias = "rscd"
    cal_step = "rscd"
    reference_file_types = ("rscd",)

    def process(self, input):
        model = self.prepare_output(input, datamodels.RampModel)
        detector = str(model.meta.get("instrument.detector") or "").upper()
        if not detector.startswith("MIR"):
            self.log.warning("RSCD correction is only for MIRI data; step skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        ref = self.load_reference(model, "rscd")
        if ref is None:
            self.log.warning("No RSCD reference file; rscd skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        skips = self._skips(model, ref)
        if skips is None:
            self.log.warning(
                "READPATT, SUBARRAY combination not found in the reference file; rscd skipped"
            )
            self.record_step_status(model, "SKIPPED")
            return model
        status = self._flag(model, *skips)
        self.record_step_status(model, status)
        return model

    @staticmethod
    def _skips(model, ref):
        readpatt = str(model.meta.get("exposure.readpatt") or "")
        subarray = str(model.meta.get("subarray.name") or "")
        if subarray.upper() == "SUBPRISM":  # the old name of the LRS slitless subarray
            subarray = "SLITLESSPRISM"
        for row in ref.rscd_group_skip_table:
            if str(row["subarray"]).strip() == subarray and str(row["readpatt"]).strip() == (
                readpatt
            ):
                return int(row["group_skip1"]), int(row["group_skip"])
        return None

    def _flag(self, model, skip1: int, skip2: int) -> str:
        if skip1 < 0:
            self.log.warning(
                "RSCD reference of a deprecated model: flagging 1 group in integration 1"
            )
            skip1 = 1
        self.log.info("Groups to flag in integration 1: %d; in later ones: %d", skip1, skip2)
        ngroups = int(model.meta.get("exposure.ngroups") or model.shape[1])
        nints = int(model.meta.get("exposure.nints") or model.shape[0])
        int_start = model.meta.get("exposure.integration_start") or 1
        if ngroups < 3:
            self.log.warning("Too few groups to apply the RSCD correction; step skipped")
            return "SKIPPED"
        if ngroups <= 5:
            skip1 = skip2 = 1
        # Leave at least 3 groups (one more is lost to lastframe, two make a slope).
        if ngroups < skip1 + 3:
            skip1 = max(0, ngroups - 3)
        if nints > 1 and ngroups < skip2 + 3:
            skip2 = max(0, ngroups - 3)
        rscd = model.meta.rscd
        if int_start == 1:
            lowered, only_one = self._apply(model, 0, 1, skip1)
            rscd.keep_bright_firstgroup_int1 = only_one
            rscd.keep_groups_saturation_int1 = lowered
            rscd.ngroups_skip_int1 = skip1
        first = 1 if int_start == 1 else 0
        if nints > 1:
            lowered, only_one = self._apply(model, first, model.shape[0], skip2)
            rscd.keep_bright_firstgroup_int2p = only_one
            rscd.keep_groups_saturation_int2p = lowered
            rscd.ngroups_skip_int2p = skip2
        return "COMPLETE"

    def _apply(self, model, i0: int, i1: int, skip: int) -> tuple[int, int]:
        """Flag the first ``skip`` groups of integrations i0 .. i1-1, backed off per pixel
        where saturation sets in early; returns the counts jwst records in the header."""
        gdq = model.groupdq
        sat = np.uint8(GROUP["SATURATED"])
        ints = gdq[i0:i1]
        n_ints = ints.shape[0]
        skip_arr = np.full((n_ints,) + gdq.shape[-2:], skip, dtype=np.int64)
        lowered = only_one = 0
        min_group = skip + 2  # 1-based: the group that must be unsaturated
        if n_ints and 0 <= min_group - 1 < gdq.shape[1]:
            first_sat = (ints[:, 0] & sat) != 0
            problem = ((ints[:, min_group - 1] & sat) != 0) & ~first_sat
            n = int(problem.sum())
            self.log.info("%d saturated pixels need fewer RSCD groups flagged", n)
            if n > 0:
                while n > 0 and min_group > 1:
                    skip_arr[problem] = np.maximum(skip_arr[problem] - 1, 0)
                    min_group -= 1
                    problem = ((ints[:, min_group - 1] & sat) != 0) & ~first_sat
                    n = int(problem.sum())
                backed = (skip_arr < skip).any(axis=0)
                lowered = int(backed.sum())
                if lowered:
                    model.pixeldq[backed] |= PIXEL["FLUX_ESTIMATED"]
                    self.log.info("Flagged %d pixels FLUX_ESTIMATED (RSCD back-off)", lowered)
                skip_arr = np.maximum(skip_arr, 0)
                only_one = int((skip_arr == 0).any(axis=0).sum())
        self.log.info(
            "Number of usable bright pixels with rscd flag groups not set to DO_NOT_USE: %d",
            lowered,
        )
        groups = np.arange(gdq.shape[1])
        flag = groups[None, :, None, None] <= (skip_arr - 1)[:, None, :, :]
        ints[flag] |= np.uint8(GROUP["DO_NOT_USE"])
        return lowered, only_one
