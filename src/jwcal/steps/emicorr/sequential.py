"""The sequential EMI fit: phase-bin the residuals of the ramps, then subtract.

For each frequency: each integration's ramps lose a crude straight-line fit and a
"self superbias"; the four output channels are averaged; every read gets its EMI phase
from its read time (10-microsecond pixel clocks, with the row and frame overheads); the
residuals of the first integrations are binned by phase (sigma-clipped means), which gives
the waveform's phase and amplitude, either directly (self-correction) or to align and
scale a reference waveform; the waveform at each read's phase is subtracted.  This is
the 'sequential' algorithm of the JWST emicorr step (from E. Bergeron's IDL
``fix_miri_emi.pro``), with the same arithmetic.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["fit_and_subtract_sequential", "congrid"]


def _slope(data):
    """Per-pixel least-squares slope against the group index (double precision)."""
    ngroups = data.shape[0]
    t = np.arange(ngroups) * 1.0
    sxy = np.zeros(data.shape[1:])
    sx = np.zeros(data.shape[1:])
    sy = np.zeros(data.shape[1:])
    sxx = np.zeros(data.shape[1:])
    for g in range(ngroups):
        sxy = sxy + t[g] * data[g]
        sx = sx + t[g]
        sy = sy + data[g]
        sxx = sxx + t[g] ** 2
    return (ngroups * sxy - sx * sy) / (ngroups * sxx - sx * sx)


def _minmed(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmin(data, axis=0) if data.shape[0] <= 2 else np.nanmedian(data, axis=0)


def congrid(arr: np.ndarray, n: float) -> np.ndarray:
    """Resample a 1-D array to ``n`` elements by nearest smaller index (IDL ``congrid``)."""
    old = arr.shape[0]
    idx = np.mgrid[slice(0, old, float(old) / n)].astype("i")
    return arr[idx]


def _residuals(data_int, nsamples, log):
    """Channel-averaged residuals of one integration, shape (ngroups, ny, nx/4)."""
    ngroups, ny, nx = data_int.shape
    data = data_int.copy()
    s0 = _slope(data[1 : ngroups - 1])
    for g in range(ngroups):
        data[g] = data_int[g] - s0 * g
    m0 = _minmed(data[1 : ngroups - 1])
    out = np.empty((ngroups, ny, nx // 4))
    for g in range(ngroups):
        data[g] = data[g] - m0
        dd = (data[g, :, 0:nx:4] + data[g, :, 1:nx:4] + data[g, :, 2:nx:4]
              + data[g, :, 3:nx:4]) / 4.0  # fmt: skip
        dd[:, 1] = (dd[:, 0] + dd[:, 3]) / 2  # bad reference columns
        dd[:, 2] = (dd[:, 0] + dd[:, 3]) / 2
        out[g] = dd - np.median(dd)
    return out


class _Clock:
    """Read times of the pixels of successive integrations, in pixel clocks."""

    def __init__(self, shape, nsamples, rowclocks, frameclocks, xstart, xsize, readpatt):
        self.ngroups, self.ny, self.nx4 = shape[1], shape[2], shape[3] // 4
        self.nsamples, self.rowclocks = nsamples, rowclocks
        self.extra = (1024.0 - self.ny) * (4 + 3.0)
        self.reset = frameclocks if readpatt.upper() in ("FASTR1", "SLOWR1") else 0
        self.last_ref = int(xsize / 4 + xstart - 1) == 258
        self.start = 0

    def next_integration(self, period):
        """Phases (0-1) of every read of the next integration."""
        times = np.empty((self.ngroups, self.ny, self.nx4), dtype="ulonglong")
        cols = np.arange(self.nx4, dtype="ulonglong") * self.nsamples
        for k in range(self.ngroups):
            for j in range(self.ny):
                times[k, j, :] = cols + self.start
                if self.last_ref:
                    # the last pixel of a full-frame row is a reference pixel read
                    # 3 samples later (jwst adds 2**32 too: kept for identical phases)
                    times[k, j, self.nx4 - 1] = times[k, j, self.nx4 - 1] + (3 + 2**32)
                self.start += self.rowclocks
            self.start += self.extra
        ph = times / period
        self.start += self.reset
        return ph - ph.astype("ulonglong")


def _binned_waveform(phases, resid, nbins):
    """Sigma-clipped mean of the residuals in each of ``nbins`` phase bins."""
    from astropy.stats import sigma_clipped_stats

    edges = np.array([nb / nbins for nb in range(nbins + 1)])
    b = np.searchsorted(edges, phases.ravel(), side="left") - 1
    vals = resid.ravel()
    inside = (b >= 0) & (b < nbins)
    order = np.argsort(b[inside], kind="stable")
    sb, sv = b[inside][order], vals[inside][order]
    bounds = np.searchsorted(sb, np.arange(nbins + 1))
    pa = np.arange(nbins, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for nb in range(nbins):
            pa[nb] = sigma_clipped_stats(sv[bounds[nb] : bounds[nb + 1]])[0]
    return pa - np.median(pa)


def fit_and_subtract_sequential(
    model,
    case,
    nsamples,
    log,
    *,
    nints_to_phase=None,
    nbins=None,
    scale_reference=True,
    use_n_cycles=3,
):
    """Fit and subtract each frequency of ``case`` in turn, in place.

    Returns
    -------
    dict
        name -> {"frequency", "phase_amplitudes"}: the binned waveforms, for an
        on-the-fly reference file.
    """
    data = model.data
    nints, ngroups, ny, nx = data.shape
    xsize = int(model.meta.get("subarray.xsize") or nx)
    xstart = int(model.meta.get("subarray.xstart") or 1)
    readpatt = str(model.meta.get("exposure.readpatt") or "")
    waves = {}
    for fi, name in enumerate(case.names):
        frequency = case.frequencies[fi]
        log.info("Correcting for frequency: %s Hz (%d of %d)", frequency, fi + 1, len(case.names))
        period = (1.0 / frequency) / 10.0e-6
        nphase = nints_to_phase
        if nphase is None and use_n_cycles is None:
            nphase = nints
        elif nphase is None:
            nphase = int(np.ceil((use_n_cycles * period) / (case.frameclocks * ngroups)))
        elif use_n_cycles == 3:
            nphase = min(nphase, nints)

        def clock():
            return _Clock(data.shape, nsamples, case.rowclocks, case.frameclocks, xstart,
                          xsize, readpatt)  # fmt: skip

        # Phases of the integrations used for the waveform; those of the others are made
        # again one at a time when the noise is subtracted.
        first = clock()
        phases = [first.next_integration(period) for _ in range(min(nphase, nints))]
        resid = np.array([_residuals(data[i], nsamples, log) for i in range(len(phases))])
        n = int(period / 2.0) if nbins is None else nbins
        if n > 501:
            n = 500
        log.info("Calculating the phase amplitude for %d bins", n)
        pa = _binned_waveform(np.array(phases), resid, n)
        del phases, resid
        lut = congrid(pa, period)
        if case.waves:
            ref = np.array(case.waves[fi])
            rebinned = congrid(pa, ref.size)
            cc = np.zeros(ref.size)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                for i in range(ref.size):
                    cc[i] = np.corrcoef(np.roll(ref, i), rebinned)[0, 1]
            lut_ref = congrid(np.roll(ref, np.argmax(cc)), period)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                m, _ = np.polyfit(lut_ref, lut, 1)
            lut = lut_ref * m if scale_reference else lut_ref
        waves[name] = {"frequency": frequency, "phase_amplitudes": pa}
        again = clock()
        for i in range(nints):
            noise = lut[(again.next_integration(period) * period).astype(int)]
            noise[~np.isfinite(noise)] = 0.0
            for k in range(4):
                data[i, :, :, k::4] -= noise
    return waves
