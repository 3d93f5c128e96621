"""ipc and superbias of NIRSpec IRS2 data (reference rows interleaved) against jwst 3.0.0.

jwst's IPC step convolves only the normal rows of an IRS2 frame (pulled out, convolved as
a full frame with its reference pixels, put back); superbias subtracts an IRS2-shaped
superbias.  Both detectors (NRS2 reads its rows in the opposite order); 256 columns to
stay small.  Bit-identical.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jwst")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stpipe"))

import jwcal_testdata as td  # noqa: E402
from stage1_parity import assert_ramp_parity, run_jwst_jobs  # noqa: E402

from jwcal import datamodels as dm  # noqa: E402

pytestmark = [pytest.mark.parity, pytest.mark.slow]
sdm = pytest.importorskip("stdatamodels.jwst.datamodels")


def _ipc_ref(detector, path):
    k = np.full((3, 3), -0.012, np.float32)
    k[1, 1] = 1.1
    k[0, 1] = -0.02
    ref = dm.IPCModel(k)
    m = ref.meta
    m.telescope, m.reftype = "JWST", "IPC"
    m.instrument.name, m.instrument.detector = "NIRSPEC", detector
    m.useafter, m.pedigree, m.author = "2022-01-01T00:00:00", "GROUND", "jwcal tests"
    m.description = "IPC for the IRS2 parity test"
    m.subarray.name, m.subarray.xstart, m.subarray.ystart = "FULL", 1, 1
    m.subarray.xsize, m.subarray.ysize = 3, 3
    return str(ref.save(path))


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("stage1_irs2")
    out = {}
    jobs = []
    for k, det in enumerate(("NRS1", "NRS2")):
        raw, _, bias = td.make_irs2(np.random.default_rng(40 + k), detector=det, nx=256)
        ramp = dm.RampModel(raw.data.astype(np.float32))
        ramp.update(raw)
        inp = ramp.save(root / f"jw3{k}_{det.lower()}_dqinitstep.fits")
        refs = {"ipc": _ipc_ref(det, root / f"ipc_{det}.fits"),
                "superbias": str(bias.save(root / f"bias_{det}.fits"))}  # fmt: skip
        out[det] = (inp, refs)
        for cls, rt in (("jwst.ipc.IPCStep", "ipc"), ("jwst.superbias.SuperBiasStep", "superbias")):
            jobs.append((cls, inp, {f"override_{rt}": refs[rt]}, root / "jwst"))
    run_jwst_jobs(jobs, root / "crds")
    return root, out


@pytest.mark.parametrize("detector", ["NRS1", "NRS2"])
@pytest.mark.parametrize("alias", ["ipc", "superbias"])
def test_irs2(work, detector, alias):
    from jwcal.stpipe.registry import resolve_class

    root, out = work
    inp, refs = out[detector]
    cls, _ = resolve_class(alias)
    ours = cls.call(str(inp), **{f"override_{alias}": refs[alias]})
    name = Path(inp).name.replace("_dqinitstep", f"_{alias}step")
    theirs = sdm.RampModel(str(root / "jwst" / name))
    st = assert_ramp_parity(ours, theirs, zeroframe=False)
    assert st["identical"] == 1.0, st
    assert not np.array_equal(ours.data, dm.RampModel(inp).data)
