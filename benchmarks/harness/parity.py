"""Parity of two products of the same case: jwcal's against jwst's.

Run as a script in a child process (``python parity.py JWCAL_DIR JWST_DIR SUFFIX ...``) so
that reading full-frame cubes never inflates the parent's memory (see ``inputs.py``).
Prints one JSON object:

- ``file``: the product compared: the first suffix of the list that both directories hold;
- ``sci_rel_median``, ``sci_rel_p999``: median and 99.9th percentile of
  ``|jwcal - jwst| / |jwst|`` over the SCI pixels both call good (DQ without DO_NOT_USE;
  for ramps, PIXELDQ without DO_NOT_USE and GROUPDQ zero), finite in both and with a
  non-zero jwst value;
- ``good_fraction``: the fraction of pixels in that comparison;
- ``dq_identical``: the fraction of DQ (or GROUPDQ) values identical in both.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DO_NOT_USE = 1


def _arrays(path: Path):
    import numpy as np
    from astropy.io import fits

    with fits.open(path, memmap=False) as hdul:
        names = {h.name for h in hdul}
        sci = np.asarray(hdul["SCI"].data, dtype=np.float64)
        if "GROUPDQ" in names:
            gdq = np.asarray(hdul["GROUPDQ"].data)
            pdq = np.asarray(hdul["PIXELDQ"].data) if "PIXELDQ" in names else 0
            good = (gdq == 0) & ((pdq & DO_NOT_USE) == 0)
            dq = gdq
        elif "DQ" in names:
            dq = np.asarray(hdul["DQ"].data)
            good = (dq & DO_NOT_USE) == 0
            good = np.broadcast_to(good, sci.shape) if good.shape != sci.shape else good
        else:
            dq, good = None, np.ones(sci.shape, bool)
    return sci, dq, good


def compare(a: Path, b: Path) -> dict:
    """Statistics of ``a`` (jwcal) against ``b`` (jwst); see the module docstring."""
    import numpy as np

    sa, dqa, ga = _arrays(a)
    sb, dqb, gb = _arrays(b)
    if sa.shape != sb.shape:
        return {"file": a.name, "error": f"SCI shapes differ: {sa.shape} vs {sb.shape}"}
    good = ga & gb & np.isfinite(sa) & np.isfinite(sb) & (sb != 0)
    out = {"file": a.name, "good_fraction": float(good.mean())}
    if good.any():
        rel = np.abs(sa[good] - sb[good]) / np.abs(sb[good])
        out["sci_rel_median"] = float(np.median(rel))
        out["sci_rel_p999"] = float(np.percentile(rel, 99.9))
    if dqa is not None and dqb is not None and dqa.shape == dqb.shape:
        out["dq_identical"] = float((dqa == dqb).mean())
    return out


def main(argv: list[str]) -> dict:
    ours, theirs, suffixes = Path(argv[0]), Path(argv[1]), argv[2:]
    for suffix in suffixes:
        a = sorted(ours.glob(f"*_{suffix}.fits"))
        b = sorted(theirs.glob(f"*_{suffix}.fits"))
        if a and b:
            return compare(a[0], b[0])
    names = lambda d: sorted(p.name for p in d.glob("*.fits"))  # noqa: E731
    return {"error": f"no common product {suffixes}: jwcal {names(ours)}, jwst {names(theirs)}"}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
