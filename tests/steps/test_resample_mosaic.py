"""The resample step on stage-3 exposures (an ExposureLibrary): sky levels recorded by
skymatch are taken off, outlier flags keep pixels out, files are read one at a time."""

import numpy as np
import pytest
from resample_data import PSCALE, RA0, make_image

from jwcal.steps._library import ExposureLibrary
from jwcal.steps.resample import ResampleStep


def _library(tmp_path, on_disk):
    models = []
    for k in range(3):
        m = make_image(shape=(40, 44), seed=k, value=1.0 + 0.1 * k, ra0=RA0 + k * 4 * PSCALE,
                       filename=f"m{k}_cal.fits")  # fmt: skip
        m.meta.group_id = f"g{k}"
        m.data[20, 22] = 1e4  # an outlier to be flagged
        models.append(m)
    if on_disk:
        for m in models:
            m.save(tmp_path / m.meta.filename)
        lib = ExposureLibrary.from_paths([tmp_path / m.meta.filename for m in models])
    else:
        lib = ExposureLibrary.from_models(models)
    for k in range(3):
        lib.set_meta(k, "background.level", 0.1 * k)
        lib.set_meta(k, "background.subtracted", False)
        mask = np.zeros((40, 44), bool)
        mask[20, 22] = True
        lib.flag_outliers(k, mask)
    return lib


@pytest.mark.parametrize("on_disk", [False, True])
def test_mosaic_of_a_library(tmp_path, on_disk):
    lib = _library(tmp_path, on_disk)
    lib.asn = {"products": [{"name": "jw01-o001_t001_nircam"}], "asn_pool": "pool",
               "table_name": "x_asn.json"}  # fmt: skip
    out = ResampleStep.call(lib)
    good = out.wht > 0
    # each input's level (0, 0.1, 0.2) taken off its data of 1.0, 1.1, 1.2: all 1.0
    np.testing.assert_allclose(out.data[good], 1.0, atol=1e-5)
    assert np.nanmax(out.data) < 2.0  # the flagged pixels did not get in
    assert out.meta.filename == "jw01-o001_t001_nircam_i2d.fits"
    assert out.meta.asn.pool_name == "pool"
    assert out.meta.resample.pointings == 3


def test_library_s_region_follows_the_steps_changes(tmp_path):
    lib = _library(tmp_path, on_disk=True)
    first = lib.members[1].s_region
    assert first and lib.s_region(1) == first
    lib.set_meta(1, "wcsinfo", {"s_region": "POLYGON ICRS  1 2 3 4 5 6"})
    assert lib.s_region(1) == "POLYGON ICRS  1 2 3 4 5 6"
    lib.set_meta(1, "wcsinfo.s_region", "POLYGON ICRS  7 8 9 10 11 12")
    assert lib.s_region(1) == lib.meta_model(1).meta.wcsinfo.s_region
