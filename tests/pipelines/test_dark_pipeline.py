import numpy as np
from jwcal_testdata import make_uncal, write_refs

from jwcal import datamodels as dm
from jwcal.pipelines.dark import DarkPipeline
from jwcal.stpipe.registry import resolve_class


def _steps(refs, miri=False):
    out = {
        "dq_init": {"override_mask": refs["mask"]},
        "saturation": {"override_saturation": refs["saturation"],
                       "override_superbias": refs["superbias"]},
        "ipc": {"override_ipc": "N/A"},
        "superbias": {"override_superbias": refs["superbias"]},
        "linearity": {"override_linearity": "N/A"},
        "reset": {"override_reset": "N/A"},
        "rscd": {"override_rscd": "N/A"},
    }  # fmt: skip
    if "refpix" in DarkPipeline.step_defs:
        out["refpix"] = {"skip": True}
    return out


def test_near_ir_order_and_product_name(rng, tmp_path):
    refs = write_refs(tmp_path / "refs", exp_type="NRC_DARK")
    path = make_uncal(rng, exp_type="NRC_DARK").save(tmp_path / "jw01_nrca1_uncal.fits")
    out = DarkPipeline.call(str(path), steps=_steps(refs), output_dir=str(tmp_path),
                            save_results=True)  # fmt: skip
    assert isinstance(out, dm.RampModel)
    assert (tmp_path / "jw01_nrca1_dark.fits").exists()
    cs = out.meta.cal_step
    assert cs.dq_init == cs.saturation == cs.superbias == "COMPLETE"
    assert cs.ipc == cs.linearity == "SKIPPED"
    assert cs.get("dark_sub") is None and cs.get("lastframe") is None  # MIRI-only not run
    raw = dm.open(path)
    bias = dm.open(refs["superbias"])
    assert not np.array_equal(out.data, raw.data.astype(np.float32))
    assert bias.data.mean() > 1000


def test_registered_under_calwebb_dark():
    cls, entry = resolve_class("calwebb_dark")
    assert cls is DarkPipeline and entry.alias == "calwebb_dark"
    assert DarkPipeline().emicorr.skip and DarkPipeline().firstframe.skip
