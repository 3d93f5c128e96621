"""Associations made from lists: jwcal's files equal jwst 3.0.0's asn_from_list output."""

import json

import pytest

from jwcal.associations import asn_from_list, load_asn

pytestmark = pytest.mark.parity
jwst_afl = pytest.importorskip("jwst.associations.asn_from_list")


def _jwst(tmp_path, args):
    out = tmp_path / "jwst_asn.json"
    jwst_afl.main(["-o", str(out), *args])
    return out


@pytest.mark.parametrize(
    "args, kwargs",
    [
        (["--product-name", "mosaic", "a_cal.fits", "b_cal.fits"], {"product_name": "mosaic"}),
        (["-r", "DMSLevel2bBase", "x/a_rate.fits", "b_rateints.fits", "c_uncal.fits"],
         {"rule": "DMSLevel2bBase"}),
        (["-r", "DMSLevel2bBase", "--product-name", "ignored", "a_rate.fits"],
         {"rule": "level2", "product_name": "ignored"}),
    ],
)  # fmt: skip
def test_same_content_and_layout_as_jwst(tmp_path, args, kwargs):
    theirs_path = _jwst(tmp_path, args)
    files = [a for a in args if a.endswith(".fits")]
    ours = asn_from_list(files, **kwargs)
    ours_path = ours.save(tmp_path / "jwcal_asn.json")
    theirs = json.loads(theirs_path.read_text())
    mine = json.loads(ours_path.read_text())
    # Only the software that wrote them differs.
    theirs.pop("code_version")
    mine.pop("code_version")
    assert mine == theirs
    assert list(mine) == list(theirs)
    # jwst's indentation and separators
    text_theirs = theirs_path.read_text().replace('"3.0.0"', "V")
    text_mine = ours_path.read_text()
    text_mine = text_mine.replace(f'"{ours["code_version"]}"', "V")
    assert text_mine == text_theirs
    # and each reads the other's file
    assert load_asn(theirs_path).products == ours.products


def test_jwst_reads_jwcal_associations(tmp_path):
    from jwst.associations import load_asn as jwst_load

    path = asn_from_list(["a_cal.fits", "b_cal.fits"], product_name="m").save(tmp_path / "m.json")
    with path.open() as fh:
        asn = jwst_load(fh)
    assert [m["expname"] for m in asn["products"][0]["members"]] == ["a_cal.fits", "b_cal.fits"]
