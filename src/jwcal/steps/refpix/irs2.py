"""The refpix step for NIRSpec IRS2 readouts (interleaved reference pixels).

The flow of jwst 3.0.0's RefPixStep for IRS2 data: flag intermittently bad interleaved
reference pixels (``ovr_corr_mitigation_ftr``), optionally subtract the ordinary mean
offset (``irs2_mean_subtraction``, no side pixels), replace the flagged reference pixels,
then with the REFPIX reference file replace those its DQ table marks bad and apply the
Fourier correction; the interleaved reference pixels are removed from SCI, PIXELDQ and
GROUPDQ unless ``preserve_irs2_refpix``.
"""

from __future__ import annotations

import numpy as np

from jwcore.refpix import (
    NIR_FULL_SHAPE,
    apply_irs2_dq_table,
    flag_bad_refpix_irs2,
    make_irs2_mask,
    replace_bad_refpix_irs2,
    subtract_refpix_irs2,
    subtract_refpix_nir,
)

from ...dqflags import pixel as PIXEL
from ...references import NOT_APPLICABLE, load_reference

__all__ = ["is_irs2", "correct_irs2", "irs2_orientation"]

#: Length of the time-ordered series of one IRS2 output (samples), and so of the table.
IRS2_SERIES = 712 * 2048


def is_irs2(model) -> bool:
    """True for data in IRS2 layout: an image axis longer than the detector, as jwst tests."""
    return max(model.shape[-2:]) > NIR_FULL_SHAPE[0]


def irs2_orientation(detector: str) -> tuple[int, int]:
    """(fastaxis, slowaxis) jwst's IRS2 code assumes: it goes by the detector name."""
    det = detector.upper()
    if det == "NRS1":
        return 2, 1
    if det == "NRS2":
        return -2, -1
    return 1, 1


def _field(table, name: str) -> np.ndarray:
    names = {n.lower(): n for n in table.dtype.names}
    return np.asarray(table[names[name.lower()]])


def _coefficients(table):
    """alpha, beta of shape (4, IRS2_SERIES), complex64, from the interleaved real and
    imaginary parts of the table columns."""
    cols = [
        np.ascontiguousarray(_field(table, f"{ab}_{k}"), dtype=np.float32)
        for ab in ("alpha", "beta")
        for k in range(4)
    ]
    stack = np.stack(cols).view(np.complex64)
    return stack[:4], stack[4:]


def correct_irs2(step, model) -> str:
    """Run the IRS2 flow on ``model`` in place; returns the step status."""
    n_norm = int(model.meta.exposure.nrs_normal or 16)
    n_ref = int(model.meta.exposure.nrs_reference or 4)
    threads = step.n_threads
    data = model.data
    if not (data.flags.c_contiguous and data.flags.writeable and data.dtype == np.float32):
        data = np.array(data, dtype=np.float32, order="C", copy=True)
    pdq = model.pixeldq
    bad = flag_bad_refpix_irs2(
        data,
        pdq,
        scipix_n=n_norm,
        refpix_r=n_ref,
        n_sigma=step.ovr_corr_mitigation_ftr,
        n_threads=threads,
    )
    pdq[bad, :] |= PIXEL["BAD_REF_PIXEL"] | PIXEL["DO_NOT_USE"]
    step.log.info("Total bad reference pixels flagged: %d", int(bad.sum()))
    if step.irs2_mean_subtraction:
        if step.use_side_ref_pixels:
            step.log.info("Turning off side pixel correction for IRS2")
        sub = model.meta.subarray
        subtract_refpix_nir(
            data,
            pdq,
            fastaxis=int(sub.fastaxis),
            slowaxis=int(sub.slowaxis),
            odd_even_columns=step.odd_even_columns,
            use_side_ref_pixels=False,
            side_smoothing_length=step.side_smoothing_length,
            side_gain=step.side_gain,
            siglimit=step.siglimit,
            irs2=(n_norm, n_ref),
            out=data,
            n_threads=threads,
        )
    flagged = (pdq & PIXEL["BAD_REF_PIXEL"]).any(axis=1)
    replace_bad_refpix_irs2(data, flagged, scipix_n=n_norm, refpix_r=n_ref)
    model.pixeldq = pdq
    model.data = data

    path = step.get_reference_file(model, "refpix")
    if path == NOT_APPLICABLE:
        step.log.warning("No REFPIX reference file found; refpix step skipped")
        return "SKIPPED"
    ref = path if not isinstance(path, str) else load_reference(path, model, "refpix", fit=False)
    table = ref.irs2_table
    if table is None or len(table) != 2 * IRS2_SERIES:
        step.log.error(
            "REFPIX table has %d rows, but it should have %d; refpix step skipped",
            0 if table is None else len(table),
            2 * IRS2_SERIES,
        )
        return "SKIPPED"
    alpha, beta = _coefficients(table)
    fast, slow = irs2_orientation(str(model.meta.instrument.detector))
    dq_table = ref.dq_table
    if dq_table is not None and len(dq_table) > 0:
        apply_irs2_dq_table(
            data,
            pdq,
            _field(dq_table, "output"),
            _field(dq_table, "odd_even"),
            _field(dq_table, "mask"),
            fastaxis=fast,
            slowaxis=slow,
            scipix_n=n_norm,
            refpix_r=n_ref,
        )
    else:
        step.log.warning("DQ extension not found in reference file")
    out = subtract_refpix_irs2(
        data,
        alpha,
        beta,
        fastaxis=fast,
        slowaxis=slow,
        scipix_n=n_norm,
        refpix_r=n_ref,
        preserve_refpix=step.preserve_irs2_refpix,
        n_threads=threads,
    )
    model.data = out
    if not step.preserve_irs2_refpix:
        _strip_reference_pixels(model, n_norm, n_ref, fast)
    return "COMPLETE"


def _strip_reference_pixels(model, n_norm: int, n_ref: int, fast: int) -> None:
    """Keep the normal pixels of PIXELDQ and GROUPDQ (rows of the IRS2 axis)."""
    pdq, gdq = model.pixeldq, model.groupdq
    ny, nx = pdq.shape
    keep = make_irs2_mask(nx, ny, n_norm, n_ref)
    if fast == 2:
        model.pixeldq = np.ascontiguousarray(pdq[keep, :])
        model.groupdq = np.ascontiguousarray(gdq[..., keep, :])
    elif fast == -2:
        keep = keep[::-1]
        model.pixeldq = np.ascontiguousarray(pdq[keep, :])
        model.groupdq = np.ascontiguousarray(gdq[..., keep, :])
    else:
        model.pixeldq = np.ascontiguousarray(pdq[:, keep])
        model.groupdq = np.ascontiguousarray(gdq[..., keep])
