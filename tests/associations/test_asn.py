import json
import subprocess
import sys

import pytest

from jwcal.associations import Association, AssociationError, asn_from_list, load_asn, validate
from jwcal.errors import ConfigError, InputError

LEVEL3 = {
    "asn_type": "image3",
    "asn_rule": "candidate_Asn_Lv3Image",
    "version_id": None,
    "code_version": "3.0.0",
    "degraded_status": "No known degraded exposures in association.",
    "program": "01234",
    "constraints": "No constraints",
    "asn_id": "o001",
    "target": "t001",
    "asn_pool": "jw01234_pool.csv",
    "products": [
        {
            "name": "jw01234-o001_t001_nircam_clear-f150w",
            "members": [
                {"expname": "a_cal.fits", "exptype": "science", "exposerr": None},
                {"expname": "b_cal.fits", "exptype": "science"},
                {"expname": "c_cat.ecsv", "exptype": "sourcecat"},
            ],
        }
    ],
}


def test_load_and_query(tmp_path):
    p = tmp_path / "x_asn.json"
    p.write_text(json.dumps(LEVEL3))
    asn = load_asn(p)
    assert isinstance(asn, Association)
    assert asn.level == 3 and asn.asn_id == "o001" and asn.table_name == "x_asn.json"
    assert [m["expname"] for m in asn.members("science")] == ["a_cal.fits", "b_cal.fits"]
    assert asn.member_path(asn.members("sourcecat")[0]) == tmp_path / "c_cat.ecsv"
    assert asn["products"][0]["name"].startswith("jw01234")


def test_every_member_type_is_accepted():
    data = json.loads(json.dumps(LEVEL3))
    for t in (
        "science background imprint selfcal sourcecat segmap direct_image target_acquisition psf"
    ).split():
        data["products"][0]["members"].append({"expname": f"{t}.fits", "exptype": t.upper()})
    validate(data)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("products"), "products is missing"),
        (lambda d: d.update(products={}), "products must be a list"),
        (lambda d: d.update(products=[]), "products is empty"),
        (lambda d: d["products"][0].pop("members"), r"products\[0\].members is missing"),
        (lambda d: d["products"][0].update(members=[]), r"products\[0\].members is empty"),
        (lambda d: d["products"][0].update(name=3), r"products\[0\].name must be a string"),
        (
            lambda d: d["products"][0]["members"][1].update(exptype="sciense"),
            r"products\[0\].members\[1\].exptype 'sciense' is not one of science",
        ),
        (
            lambda d: d["products"][0]["members"][0].pop("expname"),
            r"products\[0\].members\[0\].expname is missing",
        ),
        (
            lambda d: d["products"][0]["members"][0].update(expname=""),
            r"products\[0\].members\[0\].expname must be a non-empty string",
        ),
        (lambda d: d.update(asn_id=5), "asn_id must be a string"),
        (lambda d: d.update(version_id=5), "version_id must be a string or null"),
    ],
)
def test_invalid_associations_name_the_field(tmp_path, change, message):
    data = json.loads(json.dumps(LEVEL3))
    change(data)
    p = tmp_path / "bad_asn.json"
    p.write_text(json.dumps(data))
    with pytest.raises(AssociationError, match=f"bad_asn.json: {message}"):
        load_asn(p)


def test_unreadable_files(tmp_path):
    p = tmp_path / "broken_asn.json"
    p.write_text('{"products": [\n')
    with pytest.raises(AssociationError, match=r"broken_asn.json: not valid JSON \(line 2"):
        load_asn(p)
    with pytest.raises(InputError, match="no such association file"):
        load_asn(tmp_path / "missing_asn.json")
    p.write_text("[1, 2]")
    with pytest.raises(AssociationError, match="an association is a JSON object"):
        load_asn(p)


def test_write_round_trip_keeps_jwst_key_order(tmp_path):
    asn = Association(dict(reversed(list(LEVEL3.items()))))
    path = asn.save(tmp_path / "out_asn.json")
    text = path.read_text()
    assert list(json.loads(text)) == list(LEVEL3)
    assert load_asn(path).data == LEVEL3
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_asn_from_list_level3_and_level2():
    a3 = asn_from_list(["a_cal.fits", "b_cal.fits"], product_name="mosaic")
    assert a3.level == 3 and a3["asn_rule"] == "DMS_Level3_Base"
    assert a3.products == [
        {
            "name": "mosaic",
            "members": [
                {"expname": "a_cal.fits", "exptype": "science"},
                {"expname": "b_cal.fits", "exptype": "science"},
            ],
        }
    ]
    with pytest.raises(ConfigError, match="needs a product name"):
        asn_from_list(["a_cal.fits"])
    a2 = asn_from_list(["d/a_rate.fits", "b_rateints.fits", "c.fits"], rule="level2")
    assert a2.level == 2 and a2["asn_rule"] == "DMSLevel2bBase" and "target" not in a2
    assert [p["name"] for p in a2.products] == ["d/a", "b", "c"]
    bkg = asn_from_list([("a_cal.fits", "science"), ("bg_cal.fits", "background")], "p")
    assert bkg.members("background")[0]["expname"] == "bg_cal.fits"
    with pytest.raises(ConfigError, match="use level2 or level3"):
        asn_from_list(["a.fits"], "p", rule="level4")


def test_asn_from_list_command(tmp_path):
    out = tmp_path / "my_asn.json"
    run = subprocess.run(
        [sys.executable, "-m", "jwcal", "asn-from-list", "-o", str(out), "--product-name",
         "mos", "a_cal.fits", "b_cal.fits"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    asn = load_asn(out)
    assert asn.products[0]["name"] == "mos" and len(asn.members()) == 2
    run = subprocess.run(
        [sys.executable, "-m", "jwcal", "asn-from-list", "-o", str(out), "a_cal.fits"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode != 0
    assert run.stderr.strip().splitlines() == [
        "jwcal: error: a level-3 association needs a product name (--product-name)"
    ]
