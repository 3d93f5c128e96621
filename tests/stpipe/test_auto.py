"""``auto``: the pipelines of the JWST "Pipelines vs. Exposure Type" table, walked whole."""

import argparse
import dataclasses

import pytest
from jwcal_testdata import make_rate, make_uncal, write_refs

from jwcal.errors import ConfigError
from jwcal.stpipe import auto, registry

# The table, transcribed row by row from the JWST documentation: EXP_TYPE ->
# {TSOVISIT: "stage1 stage2 stage3"} with "-" for N/A; TSOVISIT None means the column says
# N/A (not a TSO choice).
D1, T1, DK, GD = "calwebb_detector1", "calwebb_tso1", "calwebb_dark", "calwebb_guider"
EXPECTED = {}


def _rows(types, tso, stages):
    for t in types.split():
        EXPECTED.setdefault(t, {})[tso] = tuple(None if s == "-" else s for s in stages.split())


_rows("FGS_DARK", None, f"{DK} - -")
_rows("FGS_SKYFLAT FGS_INTFLAT", None, f"{D1} - -")
_rows("FGS_FOCUS", None, f"{D1} calwebb_image2 -")
_rows("FGS_IMAGE", None, f"{D1} calwebb_image2 calwebb_image3")
_rows("FGS_ID-STACK FGS_ID-IMAGE FGS_ACQ1 FGS_ACQ2 FGS_TRACK FGS_FINEGUIDE", None, f"{GD} - -")
_rows("MIR_DARKIMG MIR_DARKMRS", None, f"{DK} - -")
_rows("MIR_FLATIMAGE MIR_FLATIMAGE-EXT MIR_FLATMRS MIR_FLATMRS-EXT", None, f"{D1} - -")
_rows("MIR_TACQ MIR_CORONCAL", None, f"{D1} calwebb_image2 -")
_rows("MIR_IMAGE", False, f"{D1} calwebb_image2 calwebb_image3")
_rows("MIR_IMAGE", True, f"{T1} calwebb_tso-image2 calwebb_tso3")
_rows("MIR_LRS-FIXEDSLIT", None, f"{D1} calwebb_spec2 calwebb_spec3")
_rows("MIR_LRS-SLITLESS", True, f"{T1} calwebb_tso-spec2 calwebb_tso3")
_rows("MIR_LRS-SLITLESS", False, f"{D1} calwebb_spec2 -")
_rows("MIR_MRS", None, f"{D1} calwebb_spec2 calwebb_spec3")
_rows("MIR_LYOT MIR_4QPM", None, f"{D1} calwebb_image2 calwebb_coron3")
_rows("NRC_DARK", None, f"{DK} - -")
_rows("NRC_FLAT NRC_LED NRC_GRISM", None, f"{D1} - -")
_rows("NRC_TACQ NRC_TACONFIRM NRC_FOCUS", None, f"{D1} calwebb_image2 -")
_rows("NRC_IMAGE", None, f"{D1} calwebb_image2 calwebb_image3")
_rows("NRC_CORON", None, f"{D1} calwebb_image2 calwebb_coron3")
_rows("NRC_WFSS", None, f"{D1} calwebb_spec2 calwebb_spec3")
_rows("NRC_TSIMAGE", True, f"{T1} calwebb_tso-image2 calwebb_tso3")
_rows("NRC_TSGRISM", True, f"{T1} calwebb_tso-spec2 calwebb_tso3")
_rows("NIS_DARK", None, f"{DK} - -")
_rows("NIS_LAMP NIS_EXTCAL", None, f"{D1} - -")
_rows("NIS_TACQ NIS_TACONFIRM NIS_FOCUS", None, f"{D1} calwebb_image2 -")
_rows("NIS_IMAGE", None, f"{D1} calwebb_image2 calwebb_image3")
_rows("NIS_AMI", None, f"{D1} calwebb_image2 calwebb_ami3")
_rows("NIS_WFSS", None, f"{D1} calwebb_spec2 calwebb_spec3")
_rows("NIS_SOSS", True, f"{T1} calwebb_tso-spec2 calwebb_tso3")
_rows("NIS_SOSS", False, f"{D1} calwebb_spec2 calwebb_spec3")
_rows("NRS_DARK", None, f"{DK} - -")
_rows("NRS_AUTOWAVE NRS_AUTOFLAT NRS_LAMP", None, f"{D1} calwebb_nrslamp-spec2 -")
_rows(
    "NRS_IMAGE NRS_WATA NRS_MSATA NRS_TACONFIRM NRS_CONFIRM NRS_FOCUS NRS_MIMF",
    None,
    f"{D1} calwebb_image2 -",
)
_rows("NRS_FIXEDSLIT NRS_IFU NRS_MSASPEC", None, f"{D1} calwebb_spec2 calwebb_spec3")
_rows("NRS_BRIGHTOBJ", True, f"{T1} calwebb_tso-spec2 calwebb_tso3")


def test_the_table_has_every_row():
    assert len(EXPECTED) == 62  # 11 FGS, 14 MIRI, 12 NIRCam, 10 NIRISS, 15 NIRSpec
    assert {t for row in auto.TABLE for t in row[0]} == set(EXPECTED)


@pytest.mark.parametrize("exp_type", sorted(EXPECTED))
def test_every_exp_type_with_and_without_tsovisit(exp_type):
    rows = EXPECTED[exp_type]
    for tsovisit in (None, False, True):
        if None in rows:  # TSOVISIT does not matter
            want = rows[None]
        elif len(rows) == 2:  # it chooses; missing counts as False
            want = rows[bool(tsovisit)]
        else:  # exclusively TSO
            want = next(iter(rows.values()))
        plan = auto.select_pipelines(exp_type, tsovisit)
        assert plan.stages == want, (exp_type, tsovisit)
        assert plan.exp_type == exp_type
    # every pipeline the table names is one jwcal knows
    for stages in rows.values():
        for alias in stages:
            assert alias is None or alias in registry.PIPELINES


def test_case_and_unknown_exp_types():
    assert auto.select_pipelines("nrc_image").stages[0] == D1
    with pytest.raises(ConfigError, match="EXP_TYPE NRC_NOPE is not in the"):
        auto.select_pipelines("NRC_NOPE")
    with pytest.raises(ConfigError, match=r"EXP_TYPE \(none\)"):
        auto.select_pipelines(None)


def test_wfsc_images():
    plan = auto.select_pipelines("NRC_IMAGE", visitype="PRIME_WFSC_ROUTINE", patttype="WFSC")
    assert plan.stages == (D1, "calwebb_wfs-image2", "calwebb_wfs-image3")
    plan = auto.select_pipelines("NRC_IMAGE", visitype="PRIME_WFSC_SENSING_ONLY")
    assert plan.stages == (D1, "calwebb_wfs-image2", "calwebb_image3")
    assert auto.select_pipelines("NRC_IMAGE", visitype="PRIME_TARGETED_FIXED").stages[1] == (
        "calwebb_image2"
    )


def _args(path, **kw):
    ns = dict(output_dir=None, refdir=None, threads=None, dry_run=False, verbose=False, quiet=True)
    ns.update(kw)
    return argparse.Namespace(input=str(path), **ns)


def test_dry_run_reports_the_plan_and_na_stages(tmp_path, capsys, rng):
    p = make_uncal(rng, exp_type="NRC_FLAT").save(tmp_path / "jw07_nrca1_uncal.fits")
    assert auto.run(_args(p, dry_run=True)) == 0
    out = capsys.readouterr().out
    assert "EXP_TYPE=NRC_FLAT" in out and "ready for stage 1" in out
    assert "stage 1: calwebb_detector1" in out
    assert "stage 2: N/A (no pipeline for this EXP_TYPE)" in out
    rate = make_rate(rng).save(tmp_path / "jw08_nrca1_rate.fits")
    auto.run(_args(rate, dry_run=True))
    assert "ready for stage 2" in capsys.readouterr().out
    tso = make_uncal(rng, exp_type="NRC_TSIMAGE", tsovisit=True)
    path = tso.save(tmp_path / "jw09_nrca1_uncal.fits")
    auto.run(_args(path, dry_run=True))
    out = capsys.readouterr().out
    assert "TSOVISIT=True" in out and "calwebb_tso-image2" in out


def test_runs_the_stages_in_order_until_one_is_missing(tmp_path, capsys, rng, monkeypatch):
    """Stage 1 runs (a stand-in pipeline of real steps), then stage 2 is reported missing."""
    refdir = tmp_path / "refs"
    write_refs(refdir)
    stand_in = registry.Entry(
        "calwebb_detector1", "jwcal_testdata:DqSatPipeline", "DqSatPipeline", "test",
        "calwebb_detector1.cfg", is_pipeline=True,
    )  # fmt: skip
    monkeypatch.setitem(registry.PIPELINES, "calwebb_detector1", stand_in)
    # jwcal has image2: stand in a stage-2 pipeline whose module does not exist.
    missing = dataclasses.replace(
        registry.PIPELINES["calwebb_image2"], target="jwcal_missing_module:Image2Pipeline"
    )
    monkeypatch.setitem(registry.PIPELINES, "calwebb_image2", missing)
    p = make_uncal(rng).save(tmp_path / "jw10_nrca1_uncal.fits")
    with pytest.raises(ConfigError, match="calwebb_image2 is not available in jwcal"):
        auto.run(_args(p, refdir=str(refdir), output_dir=str(tmp_path / "out")))
    out = capsys.readouterr().out
    assert "stage 1: calwebb_detector1 on" in out and "stage 2: calwebb_image2 on" in out
    assert (tmp_path / "out" / "jw10_nrca1_ramp.fits").exists()


def test_stops_at_a_stage_the_table_says_does_not_apply(tmp_path, capsys, rng, monkeypatch):
    refdir = tmp_path / "refs"
    write_refs(refdir, exp_type="NRC_LED")
    stand_in = registry.Entry(
        "calwebb_detector1", "jwcal_testdata:DqSatPipeline", "DqSatPipeline", "test",
        "calwebb_detector1.cfg", is_pipeline=True,
    )  # fmt: skip
    monkeypatch.setitem(registry.PIPELINES, "calwebb_detector1", stand_in)
    p = make_uncal(rng, exp_type="NRC_LED").save(tmp_path / "jw11_nrca1_uncal.fits")
    assert auto.run(_args(p, refdir=str(refdir), output_dir=str(tmp_path / "o"))) == 0
    out = capsys.readouterr().out
    assert "stage 2: no pipeline for NRC_LED; stopping" in out
    assert (tmp_path / "o" / "jw11_nrca1_ramp.fits").exists()


def test_association_input(tmp_path, capsys, rng):
    from jwcal.associations import asn_from_list

    for name in ("a", "b"):
        make_rate(rng).save(tmp_path / f"jw12_{name}_cal.fits")
    asn = asn_from_list(["jw12_a_cal.fits", "jw12_b_cal.fits"], product_name="jw12_combined")
    path = asn.save(tmp_path / "jw12_image3_asn.json")
    auto.run(_args(path, dry_run=True))
    out = capsys.readouterr().out
    assert "ready for stage 3" in out and "stage 3: calwebb_image3" in out


def test_auto_command_line(tmp_path, rng):
    import subprocess
    import sys

    p = make_uncal(rng, exp_type="NIS_SOSS", tsovisit=False).save(tmp_path / "jw13_nis_uncal.fits")
    run = subprocess.run(
        [sys.executable, "-m", "jwcal", "auto", str(p), "--dry-run"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert "stage 2: calwebb_spec2" in run.stdout and "stage 3: calwebb_spec3" in run.stdout


def test_all_three_stages_chain(tmp_path, capsys, rng, monkeypatch):
    refdir = tmp_path / "refs"
    write_refs(refdir)
    for alias, target in (
        ("calwebb_detector1", "jwcal_testdata:DqSatPipeline"),
        ("calwebb_image2", "jwcal_testdata:StandInStage2"),
        ("calwebb_image3", "jwcal_testdata:StandInStage3"),
    ):
        entry = registry.Entry(alias, target, "X", "test", f"{alias}.cfg", is_pipeline=True)
        monkeypatch.setitem(registry.PIPELINES, alias, entry)
    p = make_uncal(rng).save(tmp_path / "jw14_nrca1_uncal.fits")
    out = tmp_path / "out"
    assert auto.run(_args(p, refdir=str(refdir), output_dir=str(out))) == 0
    names = sorted(f.name for f in out.iterdir())
    assert names == [
        "jw14_nrca1_asn.json",
        "jw14_nrca1_cal.fits",
        "jw14_nrca1_i2d.fits",
        "jw14_nrca1_ramp.fits",
    ]
    text = capsys.readouterr().out
    assert (
        text.index("stage 1:")
        < text.index("stage 2: calwebb_image2 on")
        < text.index("stage 3: calwebb_image3 on")
    )
