"""``python -m jwcal info FILE``: what a product is and what has been done to it."""

from __future__ import annotations

import numpy as np

from . import datamodels
from .dqflags import flag_counts


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", help="JWST FITS products or reference files")


def summary(model) -> str:
    """A few lines describing a model: type, instrument, mode, arrays, steps, DQ."""
    meta = model.meta
    lines = [f"{getattr(model, 'path', None) or ''}: {type(model).__name__}"]
    inst = meta.get("instrument.name")
    if inst:
        parts = [
            inst,
            meta.get("instrument.detector"),
            meta.get("instrument.filter"),
            meta.get("instrument.pupil"),
        ]
        lines.append("  instrument: " + " ".join(str(p) for p in parts if p))
    if meta.get("reftype"):
        lines.append(f"  reference type: {meta.get('reftype')}  useafter: {meta.get('useafter')}")
    exp = meta.get("exposure.type")
    if exp:
        lines.append(
            f"  exposure: {exp}  readpatt={meta.get('exposure.readpatt')} "
            f"nints={meta.get('exposure.nints')} ngroups={meta.get('exposure.ngroups')} "
            f"nframes={meta.get('exposure.nframes')} groupgap={meta.get('exposure.groupgap')}"
        )
    sub = meta.get("subarray.name")
    if sub:
        lines.append(
            f"  subarray: {sub} at ({meta.get('subarray.xstart')}, {meta.get('subarray.ystart')})"
            f" size {meta.get('subarray.xsize')} x {meta.get('subarray.ysize')}"
        )
    if hasattr(model, "array_names"):
        for name in model.array_names():
            shape = model.array_shape(name)
            spec = model.schema_def.arrays.get(name)
            dtype = spec.dtype if spec else ""
            lines.append(f"  {name}: {shape} {dtype}" if shape else f"  {name}: table")
    steps = meta.get("cal_step") or {}
    if steps:
        done = [k for k, v in steps.items() if v == "COMPLETE"]
        skipped = [k for k, v in steps.items() if v != "COMPLETE"]
        lines.append(f"  steps complete: {', '.join(done) or 'none'}")
        if skipped:
            lines.append(f"  steps skipped: {', '.join(skipped)}")
    for dqname in ("dq", "pixeldq"):
        spec = getattr(model, "schema_def", None)
        if spec is not None and dqname in spec.arrays and model.has(dqname):
            dq = getattr(model, dqname)
            counts = flag_counts(dq)
            if counts:
                top = sorted(counts.items(), key=lambda kv: -kv[1])[:8]
                total = dq.size
                lines.append(
                    f"  {dqname} flags: " + ", ".join(f"{k} {100 * v / total:.2f}%" for k, v in top)
                )
            else:
                lines.append(f"  {dqname} flags: none set")
    if getattr(model, "schema_def", None) is not None and model.has("data"):
        data = model.data
        if data is not None and data.dtype.kind == "f":
            good = np.isfinite(data)
            if good.any():
                p = np.percentile(data[good], [1, 50, 99])
                lines.append(
                    f"  data: median {p[1]:.4g}, 1-99% range {p[0]:.4g} .. {p[2]:.4g}, "
                    f"{100 * (1 - good.mean()):.2f}% not finite"
                )
    return "\n".join(lines)


def run(args) -> int:
    for f in args.files:
        with datamodels.open(f) as model:
            print(summary(model))
    return 0
