"""``python -m jwcal auto <file|asn.json>``: choose the pipelines from EXP_TYPE and run them.

The choice is the JWST documentation's "Pipelines vs. Exposure Type" table: the stage 1,
2 and 3 pipelines for each EXP_TYPE, for the types that may be time series chosen by the
TSOVISIT keyword.  WFS&C exposures (VISITYPE containing ``WFSC``) use calwebb_wfs-image2 at
stage 2, and calwebb_wfs-image3 at stage 3 when their dither pattern (PATTTYPE) is WFSC,
as the same page describes.  Stages are run from the one the input is ready for (an
``_uncal`` file: stage 1; ``_rate``: stage 2; ``_cal``: stage 3) for as long as the table
names a pipeline; an N/A stage is reported and ends the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, InputError

__all__ = ["TABLE", "Plan", "select_pipelines", "plan_for", "add_arguments", "run"]

_log = logging.getLogger("jwcal.stpipe.auto")

D1, TSO1, DARK, GUIDER = "calwebb_detector1", "calwebb_tso1", "calwebb_dark", "calwebb_guider"
IM2, TIM2, SP2 = "calwebb_image2", "calwebb_tso-image2", "calwebb_spec2"
TSP2, LAMP2 = "calwebb_tso-spec2", "calwebb_nrslamp-spec2"
IM3, SP3, COR3, AMI3, TSO3 = (
    "calwebb_image3",
    "calwebb_spec3",
    "calwebb_coron3",
    "calwebb_ami3",
    "calwebb_tso3",
)

#: (EXP_TYPEs, TSOVISIT (None: not applicable), stage 1, stage 2, stage 3); None = N/A.
TABLE: tuple = (
    (("FGS_DARK",), None, DARK, None, None),
    (("FGS_SKYFLAT", "FGS_INTFLAT"), None, D1, None, None),
    (("FGS_FOCUS",), None, D1, IM2, None),
    (("FGS_IMAGE",), None, D1, IM2, IM3),
    (("FGS_ID-STACK", "FGS_ID-IMAGE", "FGS_ACQ1", "FGS_ACQ2", "FGS_TRACK", "FGS_FINEGUIDE"),
     None, GUIDER, None, None),
    (("MIR_DARKIMG", "MIR_DARKMRS"), None, DARK, None, None),
    (("MIR_FLATIMAGE", "MIR_FLATIMAGE-EXT", "MIR_FLATMRS", "MIR_FLATMRS-EXT"), None, D1, None,
     None),
    (("MIR_TACQ",), None, D1, IM2, None),
    (("MIR_CORONCAL",), None, D1, IM2, None),
    (("MIR_IMAGE",), False, D1, IM2, IM3),
    (("MIR_IMAGE",), True, TSO1, TIM2, TSO3),
    (("MIR_LRS-FIXEDSLIT",), None, D1, SP2, SP3),
    (("MIR_LRS-SLITLESS",), True, TSO1, TSP2, TSO3),
    (("MIR_LRS-SLITLESS",), False, D1, SP2, None),
    (("MIR_MRS",), None, D1, SP2, SP3),
    (("MIR_LYOT", "MIR_4QPM"), None, D1, IM2, COR3),
    (("NRC_DARK",), None, DARK, None, None),
    (("NRC_FLAT", "NRC_LED", "NRC_GRISM"), None, D1, None, None),
    (("NRC_TACQ", "NRC_TACONFIRM", "NRC_FOCUS"), None, D1, IM2, None),
    (("NRC_IMAGE",), None, D1, IM2, IM3),
    (("NRC_CORON",), None, D1, IM2, COR3),
    (("NRC_WFSS",), None, D1, SP2, SP3),
    (("NRC_TSIMAGE",), True, TSO1, TIM2, TSO3),
    (("NRC_TSGRISM",), True, TSO1, TSP2, TSO3),
    (("NIS_DARK",), None, DARK, None, None),
    (("NIS_LAMP", "NIS_EXTCAL"), None, D1, None, None),
    (("NIS_TACQ", "NIS_TACONFIRM", "NIS_FOCUS"), None, D1, IM2, None),
    (("NIS_IMAGE",), None, D1, IM2, IM3),
    (("NIS_AMI",), None, D1, IM2, AMI3),
    (("NIS_WFSS",), None, D1, SP2, SP3),
    (("NIS_SOSS",), True, TSO1, TSP2, TSO3),
    (("NIS_SOSS",), False, D1, SP2, SP3),
    (("NRS_DARK",), None, DARK, None, None),
    (("NRS_AUTOWAVE", "NRS_AUTOFLAT", "NRS_LAMP"), None, D1, LAMP2, None),
    (("NRS_IMAGE", "NRS_WATA", "NRS_MSATA", "NRS_TACONFIRM", "NRS_CONFIRM", "NRS_FOCUS",
      "NRS_MIMF"), None, D1, IM2, None),
    (("NRS_FIXEDSLIT", "NRS_IFU", "NRS_MSASPEC"), None, D1, SP2, SP3),
    (("NRS_BRIGHTOBJ",), True, TSO1, TSP2, TSO3),
)  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """The pipelines of the three stages for one exposure (None where the table says N/A)."""

    exp_type: str
    tsovisit: bool | None
    stages: tuple[str | None, str | None, str | None]
    note: str = ""

    def describe(self) -> list[str]:
        out = []
        for i, alias in enumerate(self.stages, start=1):
            out.append(f"  stage {i}: {alias or 'N/A (no pipeline for this EXP_TYPE)'}")
        return out


def _rows(exp_type: str):
    return [r for r in TABLE if exp_type in r[0]]


def select_pipelines(exp_type, tsovisit=None, visitype=None, patttype=None) -> Plan:
    """The table's pipelines for an exposure.

    Parameters
    ----------
    exp_type : str
        EXP_TYPE.
    tsovisit : bool or None
        TSOVISIT; it chooses between the rows of types that may or may not be time series
        (missing counts as False).  Types that are always (or never) time series have one
        row, used whatever TSOVISIT says.
    visitype, patttype : str, optional
        VISITYPE and PATTTYPE, for WFS&C exposures.

    Raises
    ------
    ConfigError
        When the EXP_TYPE is not in the table.
    """
    et = str(exp_type or "").strip().upper()
    rows = _rows(et)
    if not rows:
        raise ConfigError(
            f"EXP_TYPE {et or '(none)'} is not in the pipelines-by-exposure-type table; "
            "choose a pipeline by name"
        )
    note = ""
    if len(rows) == 1:
        row = rows[0]
        if row[1] is not None and tsovisit is not None and bool(tsovisit) != row[1]:
            note = f"{et} is always processed as {'TSO' if row[1] else 'non-TSO'}"
    else:
        want = bool(tsovisit) if tsovisit is not None else False
        row = next(r for r in rows if r[1] == want)
    s1, s2, s3 = row[2], row[3], row[4]
    if visitype and "WFSC" in str(visitype).upper() and s2 == IM2:
        s2 = "calwebb_wfs-image2"
        if patttype and str(patttype).strip().upper() == "WFSC":
            s3 = "calwebb_wfs-image3"
    return Plan(et, None if row[1] is None else row[1], (s1, s2, s3), note)


def _stage_of(path: Path, model) -> int:
    """Which stage an input is ready for, from its suffix or else its model type."""
    from .suffix import remove_suffix

    stem = path.name.split(".")[0]
    root, _ = remove_suffix(stem)
    suffix = stem[len(root) + 1 :].lower() if len(stem) > len(root) else ""
    if suffix in ("uncal",):
        return 1
    if suffix in ("rate", "rateints"):
        return 2
    if suffix in ("cal", "calints", "crf", "crfints"):
        return 3
    kind = type(model).__name__
    if kind in ("Level1bModel", "RampModel", "GuiderRawModel"):
        return 1
    return 2


def plan_for(path):
    """(plan, first stage, the model's path used for the keywords) for a file or asn.json."""
    from .. import datamodels
    from ..associations import load_asn

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    first_file = p
    asn = None
    if p.suffix.lower() == ".json":
        asn = load_asn(p)
        sci = asn.members("science")
        if not sci:
            raise InputError(f"{p}: the association has no science member")
        first_file = asn.member_path(sci[0])
        if not first_file.exists():
            raise InputError(f"{first_file}: no such file (member of {p.name})")
    with datamodels.open(first_file) as model:
        meta = model.meta
        plan = select_pipelines(
            meta.get("exposure.type"),
            meta.get("visit.tsovisit"),
            meta.get("visit.type"),
            meta.get("dither.primary_type"),
        )
        stage = _stage_of(first_file, model)
    if asn is not None and asn.level == 3:
        stage = 3
    return plan, stage, asn


def add_arguments(parser) -> None:
    parser.add_argument("input", help="an exposure (uncal, rate, cal) or an association")
    parser.add_argument("--output_dir", "--output-dir", default=None, help="where to write")
    parser.add_argument("--refdir", default=None, help="local reference-file directory")
    parser.add_argument("--threads", default=None, help="threads for the kernels")
    parser.add_argument("--dry-run", action="store_true", help="show the plan, run nothing")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug messages")
    parser.add_argument("--quiet", "-q", action="store_true", help="warnings and errors only")


def _outputs(result, stage_alias: str, outdir: Path) -> list[Path]:
    """The files a stage wrote that the next stage reads."""
    from .suffix import replace_suffix

    models = result if isinstance(result, (list, tuple)) else [result]
    paths = []
    for m in models:
        name = m.meta.get("filename") if hasattr(m, "meta") else None
        if not name:
            continue
        path = outdir / name
        # Time-series stage 2 works on the per-integration product of stage 1.
        if stage_alias == TSO1:
            ints = outdir / (replace_suffix(Path(name).stem, "rateints") + ".fits")
            if ints.exists():
                path = ints
        paths.append(path)
    return paths


def run(args) -> int:
    from ..associations import asn_from_list
    from . import logs
    from .cli import build_step
    from .suffix import remove_suffix
    from .threads import set_threads

    logs.configure("DEBUG" if args.verbose else "WARNING" if args.quiet else "INFO")
    if args.threads:
        set_threads(args.threads)
    plan, start, asn = plan_for(args.input)
    tso = "" if plan.tsovisit is None else f" TSOVISIT={plan.tsovisit}"
    print(f"{args.input}: EXP_TYPE={plan.exp_type}{tso}, ready for stage {start}")
    print("\n".join(plan.describe()))
    if plan.note:
        print(f"  note: {plan.note}")
    if args.dry_run:
        return 0
    outdir = Path(args.output_dir or Path(args.input).parent or ".")
    outdir.mkdir(parents=True, exist_ok=True)
    params = {"output_dir": str(outdir)}
    if args.refdir:
        params["refdir"] = args.refdir
    current = [Path(args.input)]
    for stage in range(start, 4):
        alias = plan.stages[stage - 1]
        if alias is None:
            print(f"stage {stage}: no pipeline for {plan.exp_type}; stopping")
            return 0
        if stage == 3 and not (len(current) == 1 and current[0].suffix.lower() == ".json"):
            # Stage 3 combines: the stage-2 products become one association.
            root = remove_suffix(current[0].name.split(".")[0])[0]
            asn3 = asn_from_list([p.name for p in current], product_name=root)
            current = [asn3.save(current[0].parent / f"{root}_asn.json")]
        outputs = []
        for path in current:
            print(f"stage {stage}: {alias} on {path}")
            step = build_step(alias, **params)
            step.save_results = True
            outputs += _outputs(step.run(str(path)), alias, outdir)
        if not outputs:
            return 0
        current = outputs
    return 0
