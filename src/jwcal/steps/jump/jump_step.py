"""The jump step: flag groups hit by cosmic rays, and their snowballs and showers."""

from __future__ import annotations

import numpy as np

from jwcore.jump import detect_jumps_twopoint, flag_showers, flag_snowballs

from ... import datamodels
from ...dqflags import group as GROUP
from ...dqflags import pixel as PIXEL
from ...stpipe import Param, Step

__all__ = ["JumpStep", "flag_bad_gain", "count_unusable_groups"]


def flag_bad_gain(pixeldq: np.ndarray, gain: np.ndarray) -> int:
    """OR NO_GAIN_VALUE and DO_NOT_USE into ``pixeldq`` where the gain is <= 0 or NaN.

    Returns the number of such pixels.
    """
    with np.errstate(invalid="ignore"):
        bad = ~(gain > 0)
    n = int(np.count_nonzero(bad))
    if n:
        pixeldq[bad] |= PIXEL["NO_GAIN_VALUE"] | PIXEL["DO_NOT_USE"]
    return n


def count_unusable_groups(groupdq: np.ndarray) -> int:
    """Groups (over all integrations) in which every pixel is DO_NOT_USE."""
    dnu = np.uint8(GROUP["DO_NOT_USE"])
    n = 0
    for ints in groupdq:
        for plane in ints:
            # np.all over a boolean view would allocate a full plane; min() of the masked
            # bits answers the same question in one pass.
            if int(np.bitwise_and(plane, dnu).min()) != 0:
                n += 1
    return n


class JumpStep(Step):
    """Detect cosmic-ray jumps in up-the-ramp data.

    The two-point difference method (Anderson & Gordon 2011, PASP 123, 1237) as jwst 3.0.0
    runs it through stcal: differences of consecutive groups, in electrons, are compared
    with the pixel's median difference over all integrations in units of the expected
    noise; outliers are flagged JUMP_DET, with their four neighbours and the groups
    shortly after large jumps when asked.  Near-IR snowballs (``expand_large_events``) and
    MIRI showers (``find_showers``) are found as regions of flagged pixels and flagged as
    grown ellipses.  Pixels whose gain is <= 0 or NaN get NO_GAIN_VALUE and DO_NOT_USE.
    The arithmetic is :mod:`jwcore.jump`; ``maximum_cores`` sets its thread count.

    Known differences from jwst 3.0.0 (by design; see ``docs``/the report):
    ``minimum_groups`` is honoured (stcal replaces it by 3 when it runs in one process) and
    ``max_shower_amplitude`` is used (jwst passes stcal's built-in 6 DN/s instead).
    """

    class_alias = "jump"
    cal_step = "jump"
    params = {
        "rejection_threshold": Param(float, 4.0, "CR sigma rejection threshold", min=0),
        "three_group_rejection_threshold": Param(
            float, 6.0, "CR sigma rejection threshold with 3 groups", min=0
        ),
        "four_group_rejection_threshold": Param(
            float, 5.0, "CR sigma rejection threshold with 4 groups", min=0
        ),
        "maximum_cores": Param(str, "1", "threads: a number, or quarter, half, all"),
        "flag_4_neighbors": Param(bool, True, "flag the four perpendicular neighbors of each CR"),
        "max_jump_to_flag_neighbors": Param(
            float, 1000.0, "maximum jump sigma that will trigger neighbor flagging"
        ),
        "min_jump_to_flag_neighbors": Param(
            float, 10.0, "minimum jump sigma that will trigger neighbor flagging"
        ),
        "after_jump_flag_dn1": Param(float, 0.0, "1st flag groups after jump above DN threshold"),
        "after_jump_flag_time1": Param(
            float, 0.0, "1st flag groups after jump groups within specified time"
        ),
        "after_jump_flag_dn2": Param(float, 0.0, "2nd flag groups after jump above DN threshold"),
        "after_jump_flag_time2": Param(
            float, 0.0, "2nd flag groups after jump groups within specified time"
        ),
        "expand_large_events": Param(bool, False, "turn on the snowball detector (near-IR)"),
        "min_sat_area": Param(float, 1.0, "minimum area of the saturated core of snowballs"),
        "min_jump_area": Param(float, 5.0, "minimum area to trigger large events processing"),
        "expand_factor": Param(float, 2.0, "expansion factor of the snowball ellipses"),
        "use_ellipses": Param(bool, False, "deprecated; has no effect"),
        "sat_required_snowball": Param(bool, True, "require a saturated core in snowballs"),
        "min_sat_radius_extend": Param(float, 2.5, "min radius of the saturated core to extend it"),
        "sat_expand": Param(int, 2, "pixels added to the radius of snowball saturated cores"),
        "edge_size": Param(
            int, 25, "distance from the detector edge where no saturated core is needed"
        ),
        "mask_snowball_core_next_int": Param(
            bool, True, "flag saturated snowball cores in the next integration"
        ),
        "snowball_time_masked_next_int": Param(
            int, 4000, "seconds over which cores are flagged in the next integration"
        ),
        "find_showers": Param(bool, False, "apply MIRI shower flagging"),
        "max_shower_amplitude": Param(float, 4.0, "maximum MIRI shower amplitude in DN/s"),
        "extend_snr_threshold": Param(float, 1.2, "SNR minimum for the detection of showers"),
        "extend_min_area": Param(int, 90, "minimum area of emission for a shower"),
        "extend_inner_radius": Param(float, 1.0, "inner radius of the ring kernel"),
        "extend_outer_radius": Param(float, 2.6, "outer radius of the ring kernel"),
        "extend_ellipse_expand_ratio": Param(
            float, 1.1, "expansion of the ellipse fitted to a shower"
        ),
        "time_masked_after_shower": Param(
            float, 15.0, "seconds flagged as jump after a detected shower"
        ),
        "min_diffs_single_pass": Param(
            int, 10, "differences needed to skip the iterative flagging of jumps"
        ),
        "max_extended_radius": Param(int, 200, "maximum radius of a snowball or shower"),
        "minimum_groups": Param(int, 3, "minimum number of groups for jump detection"),
        "minimum_sigclip_groups": Param(
            int, 100, "minimum number of groups (integrations) to switch to sigma clipping"
        ),
        "only_use_ints": Param(
            bool, True, "sigma clipping compares the same group across integrations only"
        ),
    }
    reference_file_types = ("gain", "readnoise")

    def process(self, input):
        model = self.prepare_output(input, datamodels.RampModel)
        nints, ngroups, ny, nx = model.shape
        if ngroups <= 2:
            self.log.warning("Cannot apply jump detection when NGROUPS<=2; jump step skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        gain_model = self.load_reference(model, "gain")
        rn_model = self.load_reference(model, "readnoise")
        if gain_model is None or rn_model is None:
            self.log.warning("No GAIN or READNOISE reference file; jump step skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        gain = np.asarray(gain_model.data, dtype=np.float32)
        readnoise = np.asarray(rn_model.data, dtype=np.float32)
        self.log.info("CR rejection threshold = %g sigma", self.rejection_threshold)
        if self.maximum_cores != "none":
            self.log.info("Maximum cores to use = %s", self.maximum_cores)

        pdq = model.pixeldq
        flag_bad_gain(pdq, gain)
        model.pixeldq = pdq
        gdq = model.groupdq
        if not (gdq.flags.c_contiguous and gdq.flags.writeable):
            gdq = np.array(gdq, dtype=np.uint8, order="C", copy=True)
        n_crs, n_events = self.detect(model, gdq, pdq, gain, readnoise)
        model.groupdq = gdq

        total_groups = nints * ngroups - count_unusable_groups(gdq) - nints
        if total_groups >= 1:
            total_time = float(model.meta.exposure.group_time) * total_groups
            npix = ny * nx
            model.meta.exposure.primary_cosmic_rays = 1000.0 * n_crs / (total_time * npix)
            model.meta.exposure.extended_emission_events = 1e6 * n_events / (total_time * npix)
        self.record_step_status(model, "COMPLETE")
        return model

    def detect(self, model, gdq, pdq, gain, readnoise) -> tuple[int, int]:
        """Run the detection on the model's data, updating ``gdq`` in place.

        Returns the number of primary cosmic rays and of extended events (snowballs or
        showers; as in jwst, showers replace the snowball count when both run).
        """
        group_time = float(model.meta.exposure.group_time or 0.0) or None
        nframes = int(model.meta.exposure.nframes or 1)
        data = model.data
        threads = self.n_threads
        res = detect_jumps_twopoint(
            data,
            gdq,
            gain,
            readnoise,
            nframes=nframes,
            rejection_threshold=self.rejection_threshold,
            three_group_rejection_threshold=self.three_group_rejection_threshold,
            four_group_rejection_threshold=self.four_group_rejection_threshold,
            flag_4_neighbors=self.flag_4_neighbors,
            max_jump_to_flag_neighbors=self.max_jump_to_flag_neighbors,
            min_jump_to_flag_neighbors=self.min_jump_to_flag_neighbors,
            after_jump_flag_dn1=self.after_jump_flag_dn1,
            after_jump_flag_time1=self.after_jump_flag_time1,
            after_jump_flag_dn2=self.after_jump_flag_dn2,
            after_jump_flag_time2=self.after_jump_flag_time2,
            group_time=group_time,
            min_diffs_single_pass=self.min_diffs_single_pass,
            minimum_groups=self.minimum_groups,
            minimum_sigclip_groups=self.minimum_sigclip_groups,
            only_use_ints=self.only_use_ints,
            n_threads=threads,
        )
        self.log.info("Two-point difference method: %s, %d primary jumps", res.mode, res.n_primary)
        n_events = 0
        if self.expand_large_events:
            n_events = flag_snowballs(
                gdq,
                min_jump_area=self.min_jump_area,
                min_sat_area=self.min_sat_area,
                expand_factor=self.expand_factor,
                sat_required_snowball=self.sat_required_snowball,
                min_sat_radius_extend=self.min_sat_radius_extend,
                sat_expand=self.sat_expand,
                edge_size=self.edge_size,
                max_extended_radius=self.max_extended_radius,
                mask_snowball_core_next_int=self.mask_snowball_core_next_int,
                snowball_time_masked_next_int=self.snowball_time_masked_next_int,
                group_time=group_time,
                n_threads=threads,
            )
            self.log.info("Total snowballs = %d", n_events)
        if self.find_showers:
            n_events = flag_showers(
                data,
                gdq,
                pdq,
                gain,
                readnoise,
                nframes=nframes,
                extend_snr_threshold=self.extend_snr_threshold,
                extend_min_area=self.extend_min_area,
                extend_inner_radius=self.extend_inner_radius,
                extend_outer_radius=self.extend_outer_radius,
                extend_ellipse_expand_ratio=self.extend_ellipse_expand_ratio,
                time_masked_after_shower=self.time_masked_after_shower,
                max_shower_amplitude=self.max_shower_amplitude,
                max_extended_radius=self.max_extended_radius,
                minimum_sigclip_groups=self.minimum_sigclip_groups,
                group_time=group_time,
                n_threads=threads,
            )
            self.log.info("Total showers = %d", n_events)
        return res.n_primary, n_events
