"""Small ramps and reference files for the unit tests of the stage-1 detector steps.

Near-IR: a NIRCam NRCA1 subarray at (x, y) = (9, 17), 40 x 24 pixels; MIRI: a MIRIMAGE
SUB128-like subarray.  Reference files cover larger regions (64 x 48 from (1, 1)) so that
subarray cutting is exercised.
"""

from __future__ import annotations

import numpy as np

from jwcal import datamodels as dm

SCI = (9, 17, 40, 24)  # xstart, ystart, nx, ny (1-based start)
REF = (1, 1, 64, 48)


def set_meta(m, region=SCI, instrument="NIRCAM", detector="NRCA1", reftype=None,
             exp_type=None, subarray="SUBTEST", readpatt=None):  # fmt: skip
    x0, y0, nx, ny = region
    meta = m.meta
    meta.telescope = "JWST"
    meta.instrument.name = instrument
    meta.instrument.detector = detector
    meta.subarray.name = subarray
    meta.subarray.xstart, meta.subarray.ystart = x0, y0
    meta.subarray.xsize, meta.subarray.ysize = nx, ny
    meta.subarray.fastaxis, meta.subarray.slowaxis = -1, 2
    meta.exposure.type = exp_type or ("MIR_IMAGE" if instrument == "MIRI" else "NRC_IMAGE")
    if readpatt:
        meta.exposure.readpatt = readpatt
    if reftype:
        meta.reftype = reftype
        meta.useafter = "2022-01-01T00:00:00"
        meta.pedigree = "GROUND"
        meta.author = "jwcal tests"
        meta.description = f"test {reftype}"
        meta.subarray.name = "GENERIC"
    return m


def ramp(rng, nints=2, ngroups=5, nframes=1, groupgap=0, region=SCI, rate=None, bias=1000.0,
         instrument="NIRCAM", detector="NRCA1", readpatt="RAPID", zeroframe=False,
         tframe=10.0):  # fmt: skip
    """A RampModel of straight ramps (plus a little noise) with complete exposure metadata."""
    x0, y0, nx, ny = region
    if rate is None:
        rate = rng.uniform(1, 50, (ny, nx))
    t = (np.arange(ngroups) * (nframes + groupgap) + (nframes + 1) / 2.0) * tframe
    data = bias + rate[None, None] * t[None, :, None, None]
    data = data + rng.normal(0, 1, (nints, ngroups, ny, nx))
    m = dm.RampModel(np.ascontiguousarray(data, dtype=np.float32))
    m.pixeldq = np.zeros((ny, nx), np.uint32)
    m.groupdq = np.zeros(m.data.shape, np.uint8)
    set_meta(m, region, instrument, detector, readpatt=readpatt)
    e = m.meta.exposure
    e.nints, e.ngroups, e.nframes, e.groupgap = nints, ngroups, nframes, groupgap
    e.frame_time, e.group_time = tframe, tframe * (nframes + groupgap)
    e.integration_time = e.group_time * ngroups
    e.start_time = 60000.0
    e.zero_frame = zeroframe
    e.nsamples = 1
    if zeroframe:
        m.zeroframe = (data[:, 0] - rate * tframe * (nframes - 1) / 2).astype(np.float32)
    m.meta.filename = "jw01_test_ramp.fits"
    return m


def ref_image(cls, value, region=REF, reftype=None, dq=None, **kw):
    x0, y0, nx, ny = region
    m = cls()
    m.data = np.broadcast_to(np.asarray(value, np.float32), (ny, nx)).copy()
    if dq is not None or "dq" in cls.schema_def.arrays:
        m.dq = np.zeros((ny, nx), np.uint32) if dq is None else dq
    return set_meta(m, region, reftype=reftype or cls.reftypes[0], **kw)


def cut(arr, region=SCI, ref=REF):
    """The part of a reference-region array that the science region covers."""
    x0, y0, nx, ny = region
    rx, ry = ref[0], ref[1]
    return arr[..., y0 - ry : y0 - ry + ny, x0 - rx : x0 - rx + nx]
