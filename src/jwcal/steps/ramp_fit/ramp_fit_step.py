"""The ramp_fit step: a RampModel in, the ``rate`` and ``rateints`` products out."""

from __future__ import annotations

import numpy as np

from ... import datamodels
from ...dqflags import group as GROUP
from ...stpipe import Param, Step
from . import fitting
from .products import chisq_model, fitopt_model, rate_model, rateints_model

__all__ = ["RampFitStep"]


class RampFitStep(Step):
    """Fit count rates to up-the-ramp data.

    ``algorithm='OLS_C'`` (default): least squares with optimal weighting (Fixsen et al.
    2000) on the segments between jumps, combined by inverse read-noise variance, as
    stcal's OLS_C; ``'LIKELY'``: the likelihood fit on resultant differences with its own
    jump test (Brandt 2024), used only with 4 groups or more.  Returns the exposure rate
    (ImageModel, ``_rate``) and the per-integration rates (CubeModel, ``_rateints``); with
    ``save_opt`` also the per-segment products (``_fitopt``, OLS) or the chi square
    (``_likely_chisq``, LIKELY).  ``firstgroup``/``lastgroup`` exclude groups (DO_NOT_USE);
    MIRI's leading and trailing groups that are DO_NOT_USE everywhere are dropped as in
    jwst.  The arithmetic is :mod:`jwcore.ramp`; ``maximum_cores`` sets its threads.

    Where jwst returns no product (every ramp saturated in its first group, or a MIRI
    exposure with fewer than 2 usable groups), jwcal returns products whose rates are NaN
    and flagged DO_NOT_USE.

    The ramps are the step's own (a copy when it runs on its own; inside a pipeline the
    previous step's output, which nothing uses after ramp fitting), so the products of
    either algorithm are written into the ramps' memory where it has room: the input
    RampModel's SCI array no longer holds ramps afterwards.
    """

    class_alias = "ramp_fit"
    cal_step = "ramp_fit"
    params = {
        "algorithm": Param(str, "OLS_C", "ramp fitting algorithm", choices=("OLS_C", "LIKELY")),
        "int_name": Param(str, "", "unused (kept for jwst parameter files)"),
        "save_opt": Param(bool, False, "save optional output"),
        "opt_name": Param(str, "", "file name of the optional output"),
        "suppress_one_group": Param(bool, True, "suppress saturated ramps with good 0th group"),
        "firstgroup": Param(int, None, "ignore groups before this one (zero indexed)"),
        "lastgroup": Param(int, None, "ignore groups after this one (zero indexed)"),
        "maximum_cores": Param(str, "1", "threads: a number, or quarter, half, all"),
    }
    reference_file_types = ("readnoise", "gain")

    #: jwst's weighting: the only one there is.
    weighting = "optimal"

    def process(self, input):
        model = self.prepare_output(input, datamodels.RampModel)
        rn_model = self.load_reference(model, "readnoise")
        gain_model = self.load_reference(model, "gain")
        if rn_model is None or gain_model is None:
            self.log.warning("No READNOISE or GAIN reference file; ramp_fit skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        factor = gain_model.meta.get("exposure.gain_factor")
        if factor is not None:
            # gain_scale reads it from here, sparing a second read of the GAIN file.
            model.meta.exposure.gain_factor = factor
        ngroups = model.shape[1]
        algorithm = fitting.choose_algorithm(self.algorithm, ngroups)
        self.log.info("Using algorithm = %s", algorithm)
        self.log.info("Using weighting = %s", self.weighting)

        gdq = model.groupdq
        if self.firstgroup is not None or self.lastgroup is not None:
            fitting.flag_group_range(gdq, self.firstgroup, self.lastgroup)
        inp = fitting.RampInputs(
            data=model.data,
            groupdq=gdq,
            pixeldq=model.pixeldq,
            readnoise=np.asarray(rn_model.data, np.float32),
            gain=np.asarray(gain_model.data, np.float32),
            frame_time=float(model.meta.exposure.frame_time),
            group_time=float(model.meta.exposure.group_time),
            nframes=int(model.meta.exposure.nframes or 1),
            groupgap=int(model.meta.exposure.groupgap or 0),
            dropframes1=int(model.meta.exposure.drop_frames1 or 0),
            zeroframe=model.zeroframe if model.has("zeroframe") else None,
            average_dark_current=(
                model.average_dark_current if model.has("average_dark_current") else None
            ),
        )
        result = self.fit(inp, algorithm, str(model.meta.instrument.name).upper() == "MIRI")
        out = rate_model(model, result.rate)
        ints = rateints_model(model, result.rateints)
        self._save_optional(model, result, algorithm)
        return out, ints

    def fit(self, inp: fitting.RampInputs, algorithm: str, miri: bool):
        """Run the fit on arrays; returns a :class:`jwcore.ramp.RampFitResult`."""
        threads = self.n_threads
        if algorithm == "LIKELY":
            return fitting.fit_likely(
                inp, save_chisq=self.save_opt, n_threads=threads, over_ramps=True
            )
        suppress = self.suppress_one_group
        if miri and inp.ngroups > 1:
            if suppress:
                # stcal suppresses before it drops groups: the group that becomes the
                # first loses its JUMP_DET only afterwards.
                fitting.suppress_one_good_group_ramps(inp.groupdq)
                suppress = False
            span = fitting.miri_group_range(inp.groupdq)
            if span is None:
                self.log.warning("No usable groups: rates are NaN")
                return fitting.unusable((inp.nints,) + inp.data.shape[-2:], inp.pixeldq)
            if span != (0, inp.ngroups - 1):
                inp = inp.groups(*span)
        first = inp.groupdq[:, 0]
        sat = np.uint8(GROUP["SATURATED"])
        if all(int(np.bitwise_and(p, sat).min()) != 0 for p in first):
            self.log.warning("Every ramp is saturated in its first group: rates are NaN")
        return fitting.fit_ols(
            inp,
            suppress_one_group=suppress,
            save_opt=self.save_opt,
            n_threads=threads,
            over_ramps=True,
        )

    def _save_optional(self, model, result, algorithm: str) -> None:
        if not self.save_opt:
            return
        filename = self.opt_name or model.meta.get("filename")
        if algorithm == "OLS_C" and result.optional is not None:
            self.save_model(fitopt_model(model, result.optional), "fitopt", output_file=filename)
        elif algorithm == "LIKELY" and result.chisq is not None:
            self.save_model(chisq_model(model, result.chisq), "likely_chisq", output_file=filename)
