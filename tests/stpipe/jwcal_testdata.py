"""Small exposures and reference files, built with jwcal.datamodels, for step tests.

The exposure is a NIRCam subarray with frame-averaged groups (BRIGHT2: 2 frames per group)
so that every branch of the stage-1 steps has something to do: ramps that saturate in
the first, a middle or the last group, pixels at the A/D floor, a NaN saturation
threshold, NO_SAT_CHECK pixels, masked DO_NOT_USE pixels.  Reference files cover a larger
region than the exposure (they carry SUBSTRT/SUBSIZE, as jwst requires) so the subarray
cut is exercised.
"""

from __future__ import annotations

import numpy as np

from jwcal import datamodels as dm
from jwcal.dqflags import pixel as PIXEL
from jwcal.steps.dq_init import DQInitStep
from jwcal.steps.group_scale import GroupScaleStep
from jwcal.steps.saturation import SaturationStep
from jwcal.stpipe import Param, Pipeline, Step

INSTRUMENT = "NIRCAM"
DETECTOR = "NRCA1"
#: The exposure's subarray on the detector (1-based start) and the references' region.
SCI_REGION = (9, 17, 40, 24)  # xstart, ystart, nx, ny
REF_REGION = (1, 1, 64, 48)


def _meta_common(m, region, reftype=None, exp_type="NRC_IMAGE"):
    x0, y0, nx, ny = region
    m.meta.telescope = "JWST"
    m.meta.instrument.name = INSTRUMENT
    m.meta.instrument.detector = DETECTOR
    m.meta.instrument.module = "A"
    m.meta.instrument.channel = "SHORT"
    m.meta.subarray.xstart = x0
    m.meta.subarray.ystart = y0
    m.meta.subarray.xsize = nx
    m.meta.subarray.ysize = ny
    m.meta.subarray.fastaxis = -1
    m.meta.subarray.slowaxis = 2
    if reftype:
        m.meta.reftype = reftype
        m.meta.useafter = "2022-01-01T00:00:00"
        m.meta.pedigree = "GROUND"
        m.meta.description = f"test {reftype} for jwcal"
        m.meta.author = "jwcal tests"
        m.meta.subarray.name = "GENERIC"
        m.meta.exposure.type = exp_type
        m.meta.exposure.readpatt = "ANY"


def make_uncal(
    rng,
    nints=2,
    ngroups=5,
    nframes=2,
    groupgap=0,
    readpatt="BRIGHT2",
    exp_type="NRC_IMAGE",
    tsovisit=False,
    zero_frame=True,
    frame_divisor=None,
    region=SCI_REGION,
):
    """A raw exposure (Level1bModel) with ramps that exercise the saturation logic."""
    x0, y0, nx, ny = region
    bias = 11000.0 + rng.normal(0, 50, (ny, nx))
    rate = rng.uniform(10, 3000, (ny, nx))
    # Some bright pixels that saturate early, late, or inside a frame-averaged group.
    rate[3, 4] = 40000.0
    rate[10, 20] = 14000.0
    rate[15, 30] = 9000.0
    rate[5:8, 33:36] = 20000.0
    rate[20, 2] = 12500.0
    frames = np.arange(1, ngroups * (nframes + groupgap) + 1)
    group_frames = [
        frames[g * (nframes + groupgap) : g * (nframes + groupgap) + nframes]
        for g in range(ngroups)
    ]
    t = np.array([f.mean() for f in group_frames])
    data = np.empty((nints, ngroups, ny, nx))
    for i in range(nints):
        data[i] = bias + rate[None] * t[:, None, None] / 2.0
    data += rng.normal(0, 8, data.shape)
    data = np.clip(np.round(data), 0, 65535)
    data[0, 2, 12, 12] = 0  # A/D floor
    data[nints - 1, 0, 1, 1] = 0
    m = dm.Level1bModel(data.astype(np.uint16))
    _meta_common(m, region)
    m.meta.subarray.name = "SUB64P"
    m.meta.exposure.type = exp_type
    m.meta.exposure.readpatt = readpatt
    m.meta.exposure.nints = nints
    m.meta.exposure.ngroups = ngroups
    m.meta.exposure.nframes = nframes
    m.meta.exposure.groupgap = groupgap
    if frame_divisor is not None:
        m.meta.exposure.frame_divisor = frame_divisor
    m.meta.exposure.frame_time = 0.5
    m.meta.exposure.group_time = 0.5 * (nframes + groupgap)
    m.meta.exposure.integration_time = m.meta.exposure.group_time * ngroups
    m.meta.exposure.zero_frame = zero_frame
    m.meta.exposure.start_time = 60000.0
    m.meta.observation.date = "2024-03-01"
    m.meta.observation.time = "12:00:00.000"
    m.meta.instrument.filter = "F150W"
    m.meta.instrument.pupil = "CLEAR"
    m.meta.visit.tsovisit = tsovisit
    m.meta.target.ra = 10.0
    m.meta.target.dec = -20.0
    if zero_frame:
        z = np.clip(np.round(bias + rate * 0.5 + rng.normal(0, 8, (ny, nx))), 0, 65535)
        z = np.broadcast_to(z, (nints, ny, nx)).copy()
        z[0, 3, 4] = 65535
        m.zeroframe = z.astype(np.uint16)
    return m


def make_mask(region=REF_REGION, rng=None):
    x0, y0, nx, ny = region
    dq = np.zeros((ny, nx), np.uint32)
    dq[20, 15] = PIXEL["DO_NOT_USE"] | PIXEL["DEAD"]
    dq[25, 30] = PIXEL["HOT"]
    dq[30, 40] = PIXEL["DO_NOT_USE"] | PIXEL["NO_GAIN_VALUE"]
    dq[17, 9] = PIXEL["WARM"]
    dq[0, 0] = PIXEL["DO_NOT_USE"] | PIXEL["REFERENCE_PIXEL"]
    m = dm.MaskModel()
    m.dq = dq
    _meta_common(m, region, "MASK")
    return m


def make_saturation(region=REF_REGION, rng=None):
    x0, y0, nx, ny = region
    rng = rng or np.random.default_rng(7)
    thr = rng.uniform(45000, 60000, (ny, nx)).astype(np.float32)
    dq = np.zeros((ny, nx), np.uint32)
    sx, sy = 9 - x0, 17 - y0  # the exposure's corner within the reference
    thr[sy + 7, sx + 7] = np.nan
    dq[sy + 8, sx + 8] = PIXEL["NO_SAT_CHECK"]
    thr[sy + 8, sx + 8] = 100.0  # would saturate at once if it were checked
    dq[sy + 2, sx + 2] = PIXEL["NO_SAT_CHECK"] | PIXEL["DO_NOT_USE"]
    m = dm.SaturationModel()
    m.data = thr
    m.dq = dq
    _meta_common(m, region, "SATURATION")
    return m


def make_superbias(region=REF_REGION, rng=None):
    x0, y0, nx, ny = region
    rng = rng or np.random.default_rng(8)
    m = dm.SuperBiasModel()
    m.data = (11000 + rng.normal(0, 50, (ny, nx))).astype(np.float32)
    m.dq = np.zeros((ny, nx), np.uint32)
    _meta_common(m, region, "SUPERBIAS")
    return m


def make_gain(region=REF_REGION, gain_factor=None):
    x0, y0, nx, ny = region
    m = dm.GainModel()
    m.data = np.full((ny, nx), 2.0, np.float32)
    _meta_common(m, region, "GAIN")
    if gain_factor is not None:
        m.meta.exposure.gain_factor = gain_factor
    return m


def make_rate(rng, ints=False, gain_factor=None, region=SCI_REGION):
    """A count-rate product (``_rate`` or ``_rateints``) with variances."""
    x0, y0, nx, ny = region
    shape = (3, ny, nx) if ints else (ny, nx)
    cls = dm.CubeModel if ints else dm.ImageModel
    m = cls(rng.uniform(0, 50, shape).astype(np.float32))
    m.err = rng.uniform(0.1, 1, shape).astype(np.float32)
    m.var_poisson = (m.err**2 * 0.6).astype(np.float32)
    m.var_rnoise = (m.err**2 * 0.4).astype(np.float32)
    m.dq = np.zeros(shape, np.uint32)
    _meta_common(m, region)
    m.meta.subarray.name = "SUB64P"
    m.meta.exposure.type = "NRC_IMAGE"
    m.meta.exposure.readpatt = "BRIGHT2"
    m.meta.exposure.nints = 3 if ints else 1
    m.meta.observation.date = "2024-03-01"
    m.meta.observation.time = "12:00:00.000"
    if gain_factor is not None:
        m.meta.exposure.gain_factor = gain_factor
    return m


def write_refs(directory, exp_type="NRC_IMAGE"):
    """Write mask, saturation, superbias and gain references; return reftype -> path."""
    from pathlib import Path

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out = {}
    for rt, model in (
        ("mask", make_mask()),
        ("saturation", make_saturation()),
        ("superbias", make_superbias()),
        ("gain", make_gain()),
    ):
        model.meta.exposure.type = exp_type
        out[rt] = str(model.save(d / f"jwcal_test_{rt}.fits"))
    return out


# A small pipeline of real steps, importable by the command line in tests
# (``python -m jwcal jwcal_testdata.DqSatPipeline ...`` with this directory on PYTHONPATH).


class DqSatPipeline(Pipeline):
    """group_scale, dq_init and saturation: the start of stage 1."""

    class_alias = "calwebb_dqsat"
    params = {"save_calibrated_ramp": Param(bool, False, "save the ramp before the end")}
    step_defs = {
        "group_scale": GroupScaleStep,
        "dq_init": DQInitStep,
        "saturation": SaturationStep,
    }

    def process(self, input):
        model = self.prepare_output(input, dm.RampModel)
        model = self.group_scale.run(model)
        model = self.dq_init.run(model)
        if self.save_calibrated_ramp:
            self.save_model(model, "dqramp")
        model = self.saturation.run(model)
        self.suffix = "ramp"
        return model


def step_overrides(refs):
    """The ``steps`` argument giving DqSatPipeline every reference file."""
    return {
        "dq_init": {"override_mask": refs["mask"]},
        "saturation": {
            "override_saturation": refs["saturation"],
            "override_superbias": refs["superbias"],
        },
    }


def make_irs2(rng, detector="NRS1", ngroups=3, nx=2048):
    """A NIRSpec IRS2 exposure (3200 rows, reference rows interleaved) and its references.

    Returns (uncal, saturation, superbias): the saturation thresholds cover the 2048 normal
    rows, the superbias the whole IRS2 frame, as in CRDS.
    """
    nrows, nframes = 3200, 5
    bias = (10000 + rng.normal(0, 30, (nrows, nx))).astype(np.float32)
    rate = rng.uniform(50, 2000, (nrows, nx))
    hot = rng.random((nrows, nx))
    rate[hot < 0.002] = 30000.0  # saturate in the first group
    rate[(hot >= 0.002) & (hot < 0.006)] = 9000.0  # in the second or third
    t = np.array([3.0, 8.0, 13.0])[:ngroups]  # mean frame of each 5-frame group
    data = bias[None] + rate[None] * t[:, None, None] / 5.0 + rng.normal(0, 6, (ngroups, nrows, nx))
    data = np.clip(np.round(data), 0, 65535)[None]
    data[0, min(1, ngroups - 1), 700:703, 10:13] = 0
    if ngroups >= 3:
        # saturation that starts inside group 2: caught only by the group-2 test
        data[0, :3, 1000:1006, 100:104] = np.array([12000, 39000, 65000])[:, None, None]
    raw = dm.Level1bModel(data.astype(np.uint16))
    for m in (raw,):
        m.meta.telescope = "JWST"
        m.meta.instrument.name = "NIRSPEC"
        m.meta.instrument.detector = detector
        m.meta.instrument.filter = "F290LP"
        m.meta.instrument.grating = "G395H"
        m.meta.exposure.type = "NRS_FIXEDSLIT"
        m.meta.exposure.readpatt = "NRSIRS2"
        m.meta.exposure.nints = 1
        m.meta.exposure.ngroups = ngroups
        m.meta.exposure.nframes = nframes
        m.meta.exposure.groupgap = 0
        m.meta.exposure.nrs_normal = 16
        m.meta.exposure.nrs_reference = 4
        m.meta.exposure.frame_time = 14.5866
        m.meta.exposure.group_time = 72.933
        m.meta.exposure.zero_frame = False
        m.meta.observation.date = "2024-03-01"
        m.meta.observation.time = "12:00:00.000"
        m.meta.subarray.name = "FULL"
        m.meta.subarray.xstart = 1
        m.meta.subarray.ystart = 1
        m.meta.subarray.xsize = nx
        m.meta.subarray.ysize = 2048
        m.meta.subarray.fastaxis = 2 if detector == "NRS1" else -2
        m.meta.subarray.slowaxis = 1 if detector == "NRS1" else -1
    thr = rng.uniform(40000, 60000, (2048, nx)).astype(np.float32)
    thr[100, 100] = np.nan
    sdq = np.zeros((2048, nx), np.uint32)
    sdq[200, 200] = PIXEL["NO_SAT_CHECK"]
    sat = dm.SaturationModel()
    sat.data, sat.dq = thr, sdq
    sb = dm.SuperBiasModel()
    sb.data, sb.dq = bias, np.zeros((nrows, nx), np.uint32)
    for m, rt in ((sat, "SATURATION"), (sb, "SUPERBIAS")):
        m.meta.telescope = "JWST"
        m.meta.instrument.name = "NIRSPEC"
        m.meta.instrument.detector = detector
        m.meta.reftype = rt
        m.meta.useafter = "2022-01-01T00:00:00"
        m.meta.pedigree = "GROUND"
        m.meta.description = f"test IRS2 {rt}"
        m.meta.author = "jwcal tests"
        m.meta.subarray.name = "FULL"
        m.meta.subarray.xstart = 1
        m.meta.subarray.ystart = 1
        m.meta.subarray.xsize = nx
        m.meta.subarray.ysize = 2048
        m.meta.exposure.type = "NRS_FIXEDSLIT"
        m.meta.exposure.readpatt = "ANY"
    return raw, sat, sb


class StandInStage2(Step):
    """Stands in for a stage-2 pipeline in tests of ``auto``: the input, renamed ``_cal``."""

    def process(self, input):
        model = self.prepare_output(input)
        self.suffix = "cal"
        return model


class StandInStage3(Step):
    """Stands in for a stage-3 pipeline: reads the association, names the product after it."""

    def process(self, input):
        asn = self.prepare_output(input)
        first = asn.member_path(asn.members("science")[0])
        self.output_file = asn.products[0]["name"] + ".fits"
        self.suffix = "i2d"
        return dm.open(first)
