"""What the EMICORR reference says for an exposure: clocking and the frequencies to fit.

The reference (ASDF) holds ``frequencies`` (name -> ``frequency`` in Hz and
``phase_amplitudes``, one period of the waveform) and ``subarray_cases`` (subarray name,
``FULL_FAST`` or ``FULL_SLOW`` for full frame -> ``rowclocks``, ``frameclocks`` and
``freqs``: ``{"FAST": [names], "SLOW": {detector: [names]}}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["SUBARRAY_CLOCKS", "EmiCase", "case_from_reference", "case_on_the_fly"]

#: Pixel clocks per row and per reset frame of the MIRI subarrays, for corrections made
#: without a reference file (the values the JWST emicorr step uses).
SUBARRAY_CLOCKS = {
    "SLITLESSPRISM": (28, 15904),
    "MASKLYOT": (90, 32400),
    "SUB64": (28, 8512),
    "SUB128": (44, 11904),
    "MASK1140": (82, 23968),
    "MASK1550": (82, 23968),
    "MASK1065": (82, 23968),
    "FULL_FAST": (271, 277504),
    "FULL_SLOW": (2333, 2388992),
    "BRIGHTSKY": (162, 86528),
    "SUB256": (96, 29952),
}


@dataclass
class EmiCase:
    """Clocking of an exposure and the EMI frequencies to remove from it."""

    subname: str
    rowclocks: int
    frameclocks: int
    names: list[str]  #: frequency names (as in the reference file)
    frequencies: list[float]  #: Hz
    waves: list[np.ndarray] = field(default_factory=list)  #: reference waveforms, if any


def _get(node, key):
    if isinstance(node, dict):
        return node.get(key)
    return getattr(node, key, None)


def case_from_reference(ref, subarray: str, readpatt: str, detector: str, log) -> EmiCase | None:
    """The case of an exposure in an EMICORR reference, or None when it has none."""
    rp = readpatt.upper()
    if "SLOW" in rp:
        speed = "SLOW"
    elif "FAST" in rp:
        speed = "FAST"
    else:
        log.warning("Read pattern %s does not include FAST or SLOW", readpatt)
        return None
    subname = f"{subarray}_{speed}" if "FULL" in subarray else subarray
    case = _get(ref.subarray_cases, subname)
    if case is None:
        log.debug("Subarray %s not found in the EMICORR reference", subname)
        return None
    freqs = _get(_get(case, "freqs") or {}, speed)
    if speed == "SLOW" and freqs is not None:
        freqs = _get(freqs, detector)
    if freqs is None:
        return None
    names = [str(f) for f in freqs]
    values, waves = [], []
    for name in names:
        entry = _get(ref.frequencies, name)
        values.append(float(_get(entry, "frequency")))
        waves.append(np.asarray(_get(entry, "phase_amplitudes")))
    return EmiCase(
        subname, int(_get(case, "rowclocks")), int(_get(case, "frameclocks")), names, values, waves
    )


def case_on_the_fly(subarray: str, readpatt: str, frequencies) -> EmiCase | None:
    """The case for frequencies given by the user (no reference waveform)."""
    subname = subarray
    if subname == "FULL":
        if "FAST" in readpatt.upper():
            subname += "_FAST"
        elif "SLOW" in readpatt.upper():
            subname += "_SLOW"
    if subname not in SUBARRAY_CLOCKS:
        return None
    rowclocks, frameclocks = SUBARRAY_CLOCKS[subname]
    freqs = [float(f) for f in frequencies]
    return EmiCase(subname, rowclocks, frameclocks, [repr(f) for f in freqs], freqs)
