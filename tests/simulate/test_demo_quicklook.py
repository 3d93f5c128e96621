"""The demo runs end to end and the quicklook PNGs are valid images."""

import struct
import zlib

import numpy as np

from jwcal.quicklook import asinh_stretch, save_dq_png, save_image_png, write_grey_png


def _png_size(path):
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", raw[16:24])
    return w, h


def test_plain_png_without_matplotlib(tmp_path):
    img = np.linspace(0, 1, 12).reshape(3, 4)
    p = write_grey_png(tmp_path / "g.png", img)
    raw = p.read_bytes()
    assert _png_size(p) == (4, 3)
    idat = raw[raw.index(b"IDAT") + 4 : raw.index(b"IEND") - 8]
    rows = zlib.decompress(idat)
    assert len(rows) == 3 * (1 + 4)
    # The file's top row is the array's last row (images are shown with y up).
    assert rows[1:5] == np.rint(img[-1] * 255).astype(np.uint8).tobytes()


def test_image_and_dq_pngs(tmp_path):
    rng = np.random.default_rng(1)
    data = rng.normal(1, 0.1, (50, 60))
    data[20, 30] = 1e4
    dq = np.zeros((50, 60), np.uint32)
    dq[5, 5] = 1024 | 1
    for mpl in (True, False):
        a = save_image_png(tmp_path / f"r{mpl}.png", data, "rate", use_matplotlib=mpl)
        b = save_dq_png(tmp_path / f"d{mpl}.png", dq, "dq", use_matplotlib=mpl)
        assert _png_size(a)[0] > 0 and _png_size(b)[0] > 0
    s, (lo, hi) = asinh_stretch(data)
    assert s.min() >= 0 and s.max() <= 1 and lo < hi


def test_demo_runs_the_three_stages(tmp_path):
    from jwcal.datamodels import open as dm_open
    from jwcal.demo import run_demo

    lines = []
    out = run_demo(tmp_path, subarray="SUB160", ngroups=3, nexp=2, log=lines.append)
    assert len(out["uncal"]) == 2 and len(out["detector1"]) == 2 and len(out["image2"]) == 2
    (mosaic,) = out["image3"]
    model = dm_open(mosaic)
    assert model.meta.asn.pool_name == "jwcal_demo"
    assert np.isfinite(model.data).mean() > 0.5
    assert list(tmp_path.glob("image3/*_cat.ecsv"))
    assert all(p.exists() and p.stat().st_size > 100 for p in out["quicklook"])
    assert any("demo finished" in line for line in lines)
