"""The emicorr step: remove MIRI electromagnetic-interference (EMI) noise from ramps."""

from __future__ import annotations

import datetime

from ... import datamodels
from ...references import NOT_APPLICABLE
from ...stpipe import Param, Step
from .._ramps import writeable
from .cases import case_from_reference, case_on_the_fly
from .joint import fit_and_subtract_joint
from .sequential import fit_and_subtract_sequential

__all__ = ["EmiCorrStep"]


class EmiCorrStep(Step):
    """Fit and subtract the EMI waveforms listed by the EMICORR reference for the exposure's
    subarray and read pattern, one frequency after the other.

    ``algorithm='joint'`` (default) fits each reference waveform's phase and amplitude
    together with straight ramps (3 groups or more); ``'sequential'`` bins the residuals of
    crude ramp fits by phase, and either aligns and scales the reference waveform to them or,
    with ``onthefly_corr_freq`` (no reference needed), subtracts the binned waveform itself
    (10 groups or more recommended; ``save_intermediate_results`` then writes it as an
    EMICORR file).  MIRI FAST/SLOW(R1) exposures only; off by default.
    """

    class_alias = "emicorr"
    cal_step = "emicorr"
    params = {
        "algorithm": Param(str, "joint", "EMI fitting algorithm", choices=("sequential", "joint")),
        "nints_to_phase": Param(int, None, "integrations to phase (sequential)"),
        "nbins": Param(int, None, "bins in one phased wave (sequential)"),
        "scale_reference": Param(bool, True, "scale the reference wave to the data (sequential)"),
        "onthefly_corr_freq": Param(list, None, "frequencies (Hz) to correct without a reference",
                                    item_type=float),
        "use_n_cycles": Param(int, 3, "cycles used to find the phase (sequential; None: all)",
                              allow_none=True),
        "fit_ints_separately": Param(bool, False, "fit each integration on its own (joint)"),
        "user_supplied_reffile": Param(str, None, "deprecated: use override_emicorr"),
        "save_intermediate_results": Param(bool, False, "save an on-the-fly reference file"),
        "skip": Param(bool, True, "skip this step (inside a pipeline)"),
    }  # fmt: skip
    reference_file_types = ("emicorr",)

    def process(self, input):
        model = self.prepare_output(input, datamodels.RampModel)
        instrument = str(model.meta.get("instrument.name") or "")
        if instrument != "MIRI":
            self.log.warning("EMI correction is not implemented for %s; skipped", instrument)
            return self._skipped(model)
        readpatt = str(model.meta.get("exposure.readpatt") or "")
        if readpatt.upper() not in ("FAST", "FASTR1", "SLOW", "SLOWR1"):
            self.log.warning("EMI correction is not implemented for %s; skipped", readpatt)
            return self._skipped(model)
        ref = None
        if self.onthefly_corr_freq is None:
            if self.user_supplied_reffile is not None:
                self.log.warning("user_supplied_reffile is deprecated: use override_emicorr")
                found = self.user_supplied_reffile
            else:
                found = self.get_reference_file(model, "emicorr")
            if found == NOT_APPLICABLE:
                self.log.warning("No EMICORR reference file; emicorr skipped")
                return self._skipped(model)
            ref = found if not isinstance(found, str) else datamodels.open(found)
        done = self._correct(model, ref, readpatt)
        if not done:
            return self._skipped(model)
        self.record_step_status(model, "COMPLETE")
        return model

    def _skipped(self, model):
        self.record_step_status(model, "SKIPPED")
        return model

    def _correct(self, model, ref, readpatt) -> bool:
        ngroups = model.shape[1]
        algorithm = self.algorithm
        if ngroups < 3:
            self.log.warning("EMI correction cannot be performed for ngroups=%d", ngroups)
            return False
        if ngroups < 10 and algorithm == "sequential":
            self.log.warning("sequential with %d groups: joint is recommended below 10", ngroups)
        if algorithm == "joint" and ref is None:
            self.log.warning("joint needs an EMICORR reference: using sequential")
            algorithm = "sequential"
        subarray = str(model.meta.get("subarray.name") or "")
        detector = str(model.meta.get("instrument.detector") or "")
        if ref is not None:
            case = case_from_reference(ref, subarray, readpatt, detector, self.log)
        else:
            case = case_on_the_fly(subarray, readpatt, self.onthefly_corr_freq)
        if case is None or not case.frequencies:
            self.log.warning("No EMI correction for this configuration")
            return False
        self.log.info("Correcting %d frequencies: %s", len(case.names), case.names)
        nsamples = int(model.meta.get("exposure.nsamples") or 1)
        data = writeable(model, "data")
        self.log.info("Running the EMI fit with algorithm '%s'", algorithm)
        if algorithm == "joint":
            frameclocks = case.frameclocks if readpatt.upper() in ("FASTR1", "SLOWR1") else 0
            for freq, wave in zip(case.frequencies, case.waves, strict=True):
                fit_and_subtract_joint(
                    data, model.pixeldq, wave, nsamples, case.rowclocks, frameclocks,
                    (1.0 / freq) / 10.0e-6, self.log,
                    fit_ints_separately=self.fit_ints_separately,
                )  # fmt: skip
            return True
        waves = fit_and_subtract_sequential(
            model, case, nsamples, self.log, nints_to_phase=self.nints_to_phase,
            nbins=self.nbins, scale_reference=self.scale_reference,
            use_n_cycles=self.use_n_cycles,
        )  # fmt: skip
        if self.save_intermediate_results and ref is None:
            self._save_reference(model, case, waves, readpatt, detector, subarray)
        return True

    def _save_reference(self, model, case, waves, readpatt, detector, subarray) -> None:
        freqs = {readpatt: case.names} if "FAST" in readpatt else {readpatt: {detector: case.names}}
        out = datamodels.EmiModel(
            frequencies=waves,
            subarray_cases={
                subarray: {"rowclocks": case.rowclocks, "frameclocks": case.frameclocks,
                           "freqs": freqs}
            },
        )  # fmt: skip
        out.meta.reftype = "emicorr"
        out.meta.author = "jwcal"
        out.meta.description = "EMI correction file"
        out.meta.pedigree = "GROUND"
        out.meta.useafter = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        path = self.make_output_path(suffix="emi_ref_waves", ext=".asdf")
        out.save(path)
        self.log.info("Wrote the on-the-fly EMICORR reference to %s", path)
