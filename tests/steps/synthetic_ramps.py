"""Corrected ramps and their reference files, built in memory, for the refpix, jump and
ramp_fit step tests."""

from __future__ import annotations

import numpy as np

from jwcal import datamodels as dm

FRAME_TIME = 10.737


def ramp_model(
    rate,
    *,
    nints=1,
    ngroups=6,
    nframes=1,
    groupgap=0,
    bias=0.0,
    read_noise=0.0,
    rng=None,
    instrument="NIRCAM",
    detector="NRCA1",
    xstart=1,
    ystart=1,
    subarray=None,
    noutputs=None,
    fastaxis=-1,
    slowaxis=2,
    frame_time=FRAME_TIME,
):
    """A RampModel whose groups are ``bias + rate * t`` (DN), plus read noise if asked.

    ``rate`` is an (ny, nx) array of DN/s; ``t`` is the mean frame time of each group.
    """
    rate = np.asarray(rate, np.float64)
    ny, nx = rate.shape
    step = nframes + groupgap
    t = np.array([np.mean(np.arange(g * step, g * step + nframes) + 1) for g in range(ngroups)])
    t = t * frame_time
    data = np.broadcast_to(bias + rate[None] * t[:, None, None], (nints, ngroups, ny, nx)).copy()
    if read_noise:
        rng = rng or np.random.default_rng(1)
        data += rng.normal(0, read_noise / np.sqrt(2 * nframes), data.shape)
    m = dm.RampModel(data.astype(np.float32))
    m.groupdq = np.zeros(m.data.shape, np.uint8)
    m.pixeldq = np.zeros((ny, nx), np.uint32)
    meta = m.meta
    meta.instrument.name = instrument
    meta.instrument.detector = detector
    meta.exposure.type = "MIR_IMAGE" if instrument == "MIRI" else "NRC_IMAGE"
    meta.exposure.nints = nints
    meta.exposure.ngroups = ngroups
    meta.exposure.nframes = nframes
    meta.exposure.groupgap = groupgap
    meta.exposure.frame_time = frame_time
    meta.exposure.group_time = frame_time * step
    meta.exposure.readpatt = "ANY"
    meta.exposure.drop_frames1 = 0
    full = (1024, 1032) if instrument == "MIRI" else (2048, 2048)
    meta.subarray.name = subarray or ("FULL" if (ny, nx) == full else "SUBARRAY")
    meta.subarray.xstart, meta.subarray.ystart = xstart, ystart
    meta.subarray.xsize, meta.subarray.ysize = nx, ny
    meta.subarray.fastaxis, meta.subarray.slowaxis = fastaxis, slowaxis
    if noutputs is not None:
        meta.exposure.noutputs = noutputs
    meta.filename = "jw01_test_ramp.fits"
    return m


def _ref_meta(m, ref, reftype):
    m.meta.reftype = reftype
    m.meta.instrument.name = ref.meta.instrument.name
    m.meta.instrument.detector = ref.meta.instrument.detector
    for k in ("xstart", "ystart", "xsize", "ysize"):
        setattr(m.meta.subarray, k, getattr(ref.meta.subarray, k))
    return m


def gain_model(ramp, gain=2.0):
    """A GAIN reference matching ``ramp`` (a number or an (ny, nx) array of e-/DN)."""
    shape = ramp.shape[-2:]
    m = dm.GainModel()
    m.data = np.broadcast_to(np.asarray(gain, np.float32), shape).copy()
    return _ref_meta(m, ramp, "GAIN")


def readnoise_model(ramp, rn=10.0):
    """A READNOISE reference (correlated-double-sample noise in DN)."""
    shape = ramp.shape[-2:]
    m = dm.ReadnoiseModel()
    m.data = np.broadcast_to(np.asarray(rn, np.float32), shape).copy()
    return _ref_meta(m, ramp, "READNOISE")
