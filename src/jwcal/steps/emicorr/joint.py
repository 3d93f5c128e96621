"""The joint EMI fit: the waveform's amplitude and phase that make ramps straightest.

Pixels with modest scatter among their reads are summed by the EMI phase of their first
read (:func:`jwcore.detector.emi_phase_sums`); for each trial phase of the reference
waveform, the amplitude minimising the chi-square of straight-line fits to those sums has
a closed form, and the best phase is refined by a parabola through the three best trial
phases.  The fitted waveform is then subtracted from every pixel of every group.  This is
the 'joint' algorithm of the JWST emicorr step (jwst 3.0), with the same arithmetic.
"""

from __future__ import annotations

import numpy as np

from jwcore.detector import emi_phase_sums

__all__ = ["fit_and_subtract_joint"]


def _waveform(refwave: np.ndarray):
    """Cubic-spline waveform over one period, wrapped at both ends."""
    from scipy import interpolate

    ext = np.concatenate(([refwave[-1]], refwave, [refwave[0]]))
    phase_ext = (np.arange(len(refwave) + 2) - 0.5) / len(refwave)
    return interpolate.interp1d(phase_ext, ext, kind="cubic"), phase_ext


def _best_phase(phases, chisq, log) -> float:
    if np.all(~np.isfinite(chisq)):
        log.warning("Chi squared values are all NaN")
        return phases[0]
    ib = int(np.nanargmin(chisq))
    im, ip = ib - 1, ib + 1 if ib + 1 <= len(chisq) - 1 else 0
    opt = [chisq[im], chisq[ib], chisq[ip]]
    if np.any(~np.isfinite(opt)):
        log.warning("Chi squared values in the final optimisation are NaN")
        return phases[ib]
    if np.nanstd(opt) == 0:
        log.warning("Chi squared values as a function of phase offset are equal")
        return phases[ib]
    a, b, _ = np.polyfit([phases[im], phases[ib], phases[ip]], opt, 2)
    return -b / (2 * a)


class _Fitter:
    """Sums over the trial phases that do not depend on the amplitude."""

    def __init__(self, all_y, all_n, phasefunc, template, phaselist, dphase_frame):
        self.all_y, self.all_n = all_y, all_n
        self.nints, self.nphases, self.ngroups = all_y.shape
        t = np.arange(self.ngroups)
        self.s_tt = np.sum(t**2)
        self.s_t = np.sum(t)
        self.delta = self.ngroups * self.s_tt - self.s_t**2
        self.all_sy = np.sum(all_y, axis=2)
        self.all_sty = np.sum(all_y * t, axis=2)
        self.phaselist = phaselist
        self.dphase_frame = dphase_frame
        self.z, self.sz, self.stz, self.szz = [], [], [], []
        for dph in phaselist:
            z = phasefunc((template.T + dph) % 1).T
            self.z.append(z)
            self.stz.append(np.sum(t * z, axis=1))
            self.sz.append(np.sum(z, axis=1))
            self.szz.append(np.sum(z**2, axis=1))

    def chisq_amplitudes(self, ints=None, phases=None):
        ints = np.arange(self.nints) if ints is None else ints
        phases = self.phaselist if phases is None else phases
        chisq, amps = [], []
        for phase in phases:
            a_ = 0
            b_ = 0
            for i in ints:
                y, n_ = self.all_y[i], self.all_n[i]
                s_y, s_ty = self.all_sy[i], self.all_sty[i]
                k = np.argmin(np.abs((self.phaselist - phase - self.dphase_frame * i) % 1))
                z, s_tz, s_z, s_zz = self.z[k], self.stz[k], self.sz[k], self.szz[k]
                s_yz = np.sum(z * y, axis=1)
                a_ += np.sum(
                    n_ / self.delta * (-self.s_tt * s_z**2 + 2 * self.s_t * s_z * s_tz
                                       - self.ngroups * s_tz**2 + s_zz * self.delta)
                )  # fmt: skip
                b_ += (2 / self.delta) * np.sum(
                    self.s_tt * s_z * s_y - self.s_t * s_tz * s_y - self.s_t * s_z * s_ty
                    + self.ngroups * s_tz * s_ty
                )  # fmt: skip
                b_ -= 2 * np.sum(s_yz)
            if np.isclose(a_, 0, atol=1e-8) or not np.isfinite(a_) or not np.isfinite(b_):
                chisq.append(np.nan)
                amps.append(0.0)
            else:
                c = -b_ / (2 * a_)
                chisq.append(a_ * c**2 + b_ * c)
                amps.append(c)
        return chisq, amps


def fit_and_subtract_joint(
    data,
    pixeldq,
    refwave,
    nsamples,
    rowclocks,
    frameclocks,
    period_in_pixels,
    log,
    fit_ints_separately=False,
    nphases_opt=500,
):
    """Fit one EMI frequency jointly with the ramps and subtract it, in place.

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, ny, nx), float32
        Ramps, corrected in place.
    pixeldq : ndarray of shape (ny, nx), uint32
        Pixels with any flag are not used in the fit.
    refwave : ndarray
        One period of the reference waveform.
    nsamples, rowclocks, frameclocks : int
        Samples per pixel read, pixel clocks per row and per extra reset frame.
    period_in_pixels : float
        Period of the waveform in 10-microsecond pixel clocks.
    fit_ints_separately : bool
        Fit a phase and amplitude per integration instead of one for the exposure.
    nphases_opt : int
        Trial phases.
    """
    nints, ngroups, ny, nx = data.shape
    nx4 = nx // 4
    extra_rowclocks = (1024.0 - ny) * (4 + 3.0)
    frametime = ny * rowclocks + extra_rowclocks
    t0 = np.arange(ny)[:, None] * rowclocks + np.arange(nx4)[None, :] * nsamples
    phase = (t0.astype(np.float64) / period_in_pixels) % 1
    dphase = (frametime / period_in_pixels) % 1
    dphase_frame = dphase * ngroups + frameclocks / period_in_pixels
    phasefunc, phase_ext = _waveform(np.asarray(refwave, dtype=np.float64))
    template = (phase_ext[1:-1, np.newaxis] + np.arange(ngroups) * dphase) % 1
    nphases = template.shape[0]
    all_y = np.zeros((nints, nphases, ngroups))
    all_n = np.zeros((nints, nphases))
    index = (phase * nphases).astype(np.int32)
    # Usable: no DQ flag and a scatter among the reads below twice the median scatter.
    stds = np.empty((nints, ny, nx), np.float32)
    for i in range(nints):
        stds[i] = np.std(data[i], axis=0)
    ok = (stds < 2 * np.median(stds)) & (pixeldq == 0)
    for i in range(nints):
        emi_phase_sums(data[i], ok[i], index, nphases, sum_y=all_y[i], count=all_n[i])
    phaselist = np.arange(nphases_opt) * 1.0 / nphases_opt
    fitter = _Fitter(all_y, all_n, phasefunc, template, phaselist, dphase_frame)
    if fit_ints_separately:
        phases, amps = [], []
        for i in range(nints):
            chisq, _ = fitter.chisq_amplitudes(ints=[i])
            best = _best_phase(phaselist, chisq, log)
            phases.append(best + i * dphase_frame)
            amps += fitter.chisq_amplitudes(phases=[best], ints=[i])[1]
    else:
        chisq, _ = fitter.chisq_amplitudes()
        best = _best_phase(phaselist, chisq, log)
        amps = fitter.chisq_amplitudes(phases=[best])[1] * nints
        phases = (best + np.arange(nints) * dphase_frame) % 1
    log.info("EMI amplitude %s at phase %s", amps[0], phases[0])
    for i in range(nints):
        for j in range(ngroups):
            wave = phasefunc((phase + dphase * j + phases[i]) % 1)
            for k in range(4):
                data[i, j, :, k::4] -= amps[i] * wave
