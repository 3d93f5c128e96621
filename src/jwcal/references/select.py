"""Choosing the reference file that serves an exposure."""

from __future__ import annotations

from .index import SELECTION_KEYWORDS, RefEntry

__all__ = ["exposure_selectors", "match_score", "choose"]

_WILDCARDS = {"", "ANY", "N/A", "NONE", "GENERIC", "MULTIPLE"}


def exposure_selectors(meta) -> dict:
    """The selection values of an exposure, from its metadata (a Node or a dict)."""
    get = meta.get
    out = {}
    for key, (path, _) in SELECTION_KEYWORDS.items():
        v = get(path)
        if v is not None:
            out[key] = str(v).strip().upper()
    for key, path in (("NFRAMES", "exposure.nframes"), ("GROUPGAP", "exposure.groupgap")):
        v = get(path)
        if v is not None:
            out[key] = v
    date, time = get("observation.date"), get("observation.time")
    if date:
        out["DATE"] = f"{date}T{time or '00:00:00'}"
    return out


def _values(entry: RefEntry, key: str, patterns: tuple[str, ...]) -> set[str] | None:
    """The values a reference file accepts for ``key``; None means any."""
    v = entry.get(key)
    vals = set()
    if v is not None and str(v).strip().upper() not in _WILDCARDS:
        vals.add(str(v).strip().upper())
    for p in patterns:
        pv = entry.get(p)
        if pv is not None:
            items = {x.strip().upper() for x in str(pv).split("|") if x.strip()}
            if items & _WILDCARDS:
                return None
            vals |= items
    return vals or None


def _frame_resolved(entry: RefEntry) -> bool:
    return entry.get("NFRAMES") == 1 and entry.get("GROUPGAP", 0) == 0


def match_score(entry: RefEntry, sel: dict) -> int | None:
    """How specifically ``entry`` matches the exposure, or None when it does not serve it.

    Each keyword the file pins to the exposure's value counts one; a full-frame file serves
    a subarray (it is cut to it) but scores below a file made for that subarray; a
    frame-resolved dark (NFRAMES=1, GROUPGAP=0) serves every read pattern.
    """
    score = 0
    for key, (_, patterns) in SELECTION_KEYWORDS.items():
        accepted = _values(entry, key, patterns)
        if accepted is None:
            continue
        mine = sel.get(key)
        if mine is None:
            continue
        if mine in accepted:
            score += 1
            continue
        if key == "SUBARRAY" and accepted <= {"FULL", "GENERIC"}:
            continue  # cut to the subarray later
        if key == "READPATT" and entry.reftype == "DARK" and _frame_resolved(entry):
            continue  # averaged to the exposure's read pattern later
        if key == "DETECTOR" and mine == "MULTIPLE":
            continue
        return None
    return score


def _useafter(entry: RefEntry) -> str:
    ua = entry.get("USEAFTER")
    return str(ua).replace(" ", "T") if ua else ""


def choose(entries: list[RefEntry], sel: dict) -> RefEntry | None:
    """The best match: most specific, then newest USEAFTER not after the exposure date."""
    date = sel.get("DATE")
    best = None
    best_key = None
    for e in entries:
        s = match_score(e, sel)
        if s is None:
            continue
        ua = _useafter(e)
        if date and ua and ua > date:
            continue
        key = (s, ua)
        if best_key is None or key > best_key:
            best, best_key = e, key
    return best
