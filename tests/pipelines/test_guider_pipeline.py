import numpy as np
from ramps_testdata import set_meta

from jwcal import datamodels as dm
from jwcal.pipelines.guider import GuiderPipeline
from jwcal.stpipe.registry import resolve_class

REGION = (1, 1, 16, 16)
KW = {"instrument": "FGS", "detector": "GUIDER1"}


def _refs(tmp_path):
    mask = dm.MaskModel()
    mask.dq = np.zeros((16, 16), np.uint32)
    mask.dq[3, 3] = 1
    flat = dm.FlatModel(np.full((16, 16), 2.0, np.float32))
    flat.dq = np.zeros((16, 16), np.uint32)
    flat.err = np.zeros((16, 16), np.float32)
    out = {}
    for name, m, rt in (
        ("mask", mask, "MASK"),
        ("gain", dm.GainModel(np.full((16, 16), 2.0, np.float32)), "GAIN"),
        ("readnoise", dm.ReadnoiseModel(np.full((16, 16), 3.0, np.float32)), "READNOISE"),
        ("flat", flat, "FLAT"),
    ):
        set_meta(m, REGION, reftype=rt, exp_type="FGS_TRACK", **KW)
        out[name] = str(m.save(tmp_path / f"{name}.fits"))
    return out


def _raw(tmp_path):
    data = np.stack([np.full((16, 16), 100.0), np.full((16, 16), 150.0)])[None].repeat(4, 0)
    m = dm.GuiderRawModel(data.astype(np.float32))
    m.dq = np.zeros((16, 16), np.uint32)
    set_meta(m, REGION, exp_type="FGS_TRACK", **KW)
    m.meta.exposure.group_time = 0.5
    return m.save(tmp_path / "jw01_guider1_uncal.fits")


def _steps(refs):
    return {"dq_init": {"override_mask": refs["mask"]},
            "guider_cds": {"override_gain": refs["gain"],
                           "override_readnoise": refs["readnoise"]},
            "flat_field": {"override_flat": refs["flat"]}}  # fmt: skip


def test_rates_flat_fielded_into_a_cal_product(tmp_path):
    refs = _refs(tmp_path)
    out = GuiderPipeline.call(str(_raw(tmp_path)), steps=_steps(refs), output_dir=str(tmp_path),
                              save_results=True)  # fmt: skip
    assert (tmp_path / "jw01_guider1_cal.fits").exists()
    assert type(out).__name__ == "GuiderCalModel" and out.data.shape == (4, 16, 16)
    # (150 - 100) / 0.5 s = 100 DN/s, divided by the flat of 2
    assert out.data[0, 0, 0] == 50.0
    # the masked pixel is flagged; as in jwst its rate is not set to NaN (the 2-D DQ of
    # guider products does not match their 3-D data, so flags and NaNs are not aligned)
    assert out.dq[3, 3] & 1 and out.data[0, 3, 3] == 50.0
    assert out.meta.cal_step.flat_field == "COMPLETE"


def test_earlier_products_are_only_flat_fielded(tmp_path):
    refs = _refs(tmp_path)
    first = GuiderPipeline.call(str(_raw(tmp_path)), steps={**_steps(refs),
                                "flat_field": {"skip": True}})  # fmt: skip
    path = first.save(tmp_path / "jw01_guider1_guidercds.fits")
    steps = {"dq_init": {"skip": True}, "guider_cds": {"skip": True},
             "flat_field": {"override_flat": refs["flat"]}}  # fmt: skip
    out = GuiderPipeline.call(str(path), steps=steps)
    assert out.data[0, 0, 0] == 50.0
    assert resolve_class("calwebb_guider")[0] is GuiderPipeline
