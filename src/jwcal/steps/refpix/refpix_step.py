"""The refpix step: subtract the signal common to the reference pixels."""

from __future__ import annotations

import numpy as np

from jwcore.refpix import (
    MIRI_FULL_SHAPE,
    NIR_FULL_SHAPE,
    make_sirs_kernels,
    subtract_refpix_miri,
    subtract_refpix_multistripe,
    subtract_refpix_nir,
)

from ... import datamodels
from ...errors import InputError
from ...references import NOT_APPLICABLE, load_reference
from ...stpipe import Param, Step
from .irs2 import correct_irs2, is_irs2

__all__ = ["RefPixStep", "NRS_EDGELESS_SUBARRAYS"]

#: NIRSpec subarrays that reach no detector edge: jwst takes their 4 outer rows (in DMS
#: orientation) as reference pixels.
NRS_EDGELESS_SUBARRAYS = ("SUB512", "SUB512S", "SUB32")


class RefPixStep(Step):
    """Correct bias drifts and 1/f noise with the reference pixels, as jwst 3.0.0 does.

    Near-IR full frames and subarrays read through 4 outputs: per amplifier, the
    sigma-clipped means of the top and bottom reference rows (odd and even columns apart)
    are subtracted, then the side reference columns, median-smoothed along the rows (or
    convolved with the SIRS kernels of the SIRSKERNEL reference, ``refpix_algorithm='sirs'``,
    full frames only), row by row.  Subarrays read through one output: one clipped mean of
    their REFERENCE_PIXEL pixels per column parity.  Multistripe subarrays: the flagged
    reference pixels of each amplifier.  MIRI full frames: the left and right reference
    columns of each amplifier, odd and even rows apart, relative to the first group (MIRI
    subarrays are skipped).  NIRSpec IRS2: bad interleaved reference pixels flagged and
    replaced, optionally the mean offset, then the Fourier correction with the REFPIX
    reference file; the interleaved reference pixels are removed from the output.
    The arithmetic is :mod:`jwcore.refpix`, bit-identical to jwst except where stated there.
    """

    class_alias = "refpix"
    cal_step = "refpix"
    params = {
        "odd_even_columns": Param(
            bool, True, "compute reference signal separately for even/odd columns"
        ),
        "use_side_ref_pixels": Param(
            bool, True, "use side reference pixels for reference signal for each row"
        ),
        "side_smoothing_length": Param(
            int, 11, "median window smoothing height for side reference signal", min=0
        ),
        "side_gain": Param(
            float, 1.0, "multiplicative factor for side reference signal before subtracting"
        ),
        "odd_even_rows": Param(
            bool, True, "compute reference signal separately for even- and odd-numbered rows"
        ),
        "ovr_corr_mitigation_ftr": Param(
            float, 3.0, "factor to avoid overcorrection of bad reference pixels for IRS2"
        ),
        "preserve_irs2_refpix": Param(bool, False, "preserve reference pixels in output"),
        "irs2_mean_subtraction": Param(
            bool, False, "apply a mean offset subtraction before IRS2 correction"
        ),
        "refpix_algorithm": Param(
            str, "median", "NIR full-frame side pixel algorithm", choices=("median", "sirs")
        ),
        "sigreject": Param(float, 4.0, "number of sigmas to reject as outliers"),
        "gaussmooth": Param(float, 1.0, "width of Gaussian smoothing kernel (low-pass filter)"),
        "halfwidth": Param(int, 30, "half-width of convolution kernel to build"),
        "siglimit": Param(float, 3.0, "sigma clipping limit for outlier rejection"),
    }
    reference_file_types = ("refpix", "sirskernel")

    def process(self, input):
        model = self.prepare_output(input, datamodels.RampModel)
        sub = model.meta.subarray
        if None in (sub.xstart, sub.ystart, sub.xsize, sub.ysize):
            raise InputError(
                f"{model.meta.get('filename') or 'input'}: subarray metadata "
                "(SUBSTRT1/2, SUBSIZE1/2) not found"
            )
        if model.meta.get("subarray.num_superstripe"):
            raise InputError(
                f"{model.meta.get('filename') or 'input'}: superstripe exposures are not "
                "supported by jwcal's refpix step"
            )
        if is_irs2(model):
            status = correct_irs2(self, model)
        elif str(model.meta.instrument.name).upper() == "MIRI":
            status = self._miri(model)
        else:
            status = self._near_ir(model)
        self.record_step_status(model, status)
        return model

    # ----- near-IR ------------------------------------------------------------------------
    def _near_ir(self, model) -> str:
        sub = model.meta.subarray
        ny, nx = model.shape[-2:]
        subarray = ny < NIR_FULL_SHAPE[0] or nx < NIR_FULL_SHAPE[1]
        multistripe = sub.get("multistripe_reads1") is not None
        if subarray and not multistripe:
            r0, c0 = int(sub.ystart) - 1, int(sub.xstart) - 1
            if r0 < 0 or c0 < 0 or r0 + ny > NIR_FULL_SHAPE[0] or c0 + nx > NIR_FULL_SHAPE[1]:
                self.log.warning("Subarray doesn't fit in full-sized array; refpix skipped")
                return "SKIPPED"
        data, zeroframe = _writable_data(model)
        fast, slow = int(sub.fastaxis), int(sub.slowaxis)
        if multistripe:
            fastmin = int(sub.xstart) - 1 if abs(fast) == 1 else int(sub.ystart) - 1
            self.log.info("NIR multistripe subarray data")
            subtract_refpix_multistripe(
                data,
                model.pixeldq,
                fastaxis=fast,
                slowaxis=slow,
                fastmin=fastmin,
                odd_even_columns=self.odd_even_columns,
                siglimit=self.siglimit,
                zeroframe=zeroframe,
                out=data,
                n_threads=self.n_threads,
            )
        else:
            noutputs = int(model.meta.exposure.noutputs or 0)
            name = str(sub.name or "").upper()
            kernels = self._sirs_kernels(model) if not subarray else None
            self.log.info(
                "NIR %s data%s",
                "subarray" if subarray else "full frame",
                f", {noutputs} outputs" if subarray else "",
            )
            subtract_refpix_nir(
                data,
                model.pixeldq,
                fastaxis=fast,
                slowaxis=slow,
                xstart=int(sub.xstart),
                ystart=int(sub.ystart),
                noutputs=noutputs,
                odd_even_columns=self.odd_even_columns,
                use_side_ref_pixels=self.use_side_ref_pixels,
                side_smoothing_length=self.side_smoothing_length,
                side_gain=self.side_gain,
                siglimit=self.siglimit,
                sirs_kernels=kernels,
                sigreject=self.sigreject,
                edge_reference_columns=subarray and name in NRS_EDGELESS_SUBARRAYS,
                zeroframe=zeroframe,
                out=data,
                n_threads=self.n_threads,
            )
        _store(model, data, zeroframe)
        return "COMPLETE"

    def _sirs_kernels(self, model):
        """SIRS kernels for a full-frame exposure, or None for the running median.

        As in jwst, SIRS needs ``refpix_algorithm='sirs'``, the side pixels in use, a
        subarray named FULL-something, a SIRSKERNEL reference and coefficients for the
        exposure's detector; otherwise the running median is used.
        """
        if self.refpix_algorithm.lower() != "sirs":
            return None
        if "FULL" not in str(model.meta.subarray.name or "").upper():
            self.log.info("Simple Improved Reference Subtraction (SIRS) not applied for subarrays")
            return None
        path = self.get_reference_file(model, "sirskernel")
        if path == NOT_APPLICABLE:
            self.log.warning(
                "No SIRSKERNEL reference file; the running median is used for side pixels"
            )
            return None
        if not self.use_side_ref_pixels:
            return None
        ref = path if not isinstance(path, str) else load_reference(path, model, "sirskernel")
        coeffs = _sirs_coefficients(ref, str(model.meta.instrument.detector))
        if coeffs is None:
            self.log.info(
                "SIRS coefficients not found for detector %s; the running median is used",
                model.meta.instrument.detector,
            )
            return None
        return make_sirs_kernels(*coeffs, gaussmooth=self.gaussmooth, halfwidth=self.halfwidth)

    # ----- MIRI ---------------------------------------------------------------------------
    def _miri(self, model) -> str:
        ny, nx = model.shape[-2:]
        if ny < MIRI_FULL_SHAPE[0] or nx < MIRI_FULL_SHAPE[1]:
            self.log.warning("Refpix correction skipped for MIRI subarrays")
            return "SKIPPED"
        self.log.info("MIRI full frame data")
        data, _ = _writable_data(model, zeroframe=False)
        subtract_refpix_miri(
            data,
            model.pixeldq,
            odd_even_rows=self.odd_even_rows,
            siglimit=self.siglimit,
            out=data,
            n_threads=self.n_threads,
        )
        _store(model, data, None)
        return "COMPLETE"


def _writable_data(model, zeroframe=True):
    """The model's SCI (and ZEROFRAME, when the exposure has one) as arrays the kernels may
    overwrite: C-contiguous float32, copied only when the model's are not."""
    data = model.data
    if not (data.flags.c_contiguous and data.flags.writeable and data.dtype == np.float32):
        data = np.array(data, dtype=np.float32, order="C", copy=True)
    zf = None
    if zeroframe and model.meta.get("exposure.zero_frame") and model.has("zeroframe"):
        zf = model.zeroframe
        if not (zf.flags.c_contiguous and zf.flags.writeable and zf.dtype == np.float32):
            zf = np.array(zf, dtype=np.float32, order="C", copy=True)
    return data, zf


def _store(model, data, zeroframe) -> None:
    if data is not model.data:
        model.data = data
    if zeroframe is not None and zeroframe is not model.zeroframe:
        model.zeroframe = zeroframe


def _sirs_coefficients(ref, detector: str):
    """(gamma, zeta) of ``detector`` from a SIRSKERNEL model (an ASDF tree keyed by the
    lower-case detector name), or None."""
    tree = getattr(ref, "_tree", None) or {}
    for key, value in tree.items():
        if str(key).lower() == detector.lower() and isinstance(value, dict):
            gamma, zeta = value.get("gamma"), value.get("zeta")
            if gamma is not None and zeta is not None:
                return np.asarray(gamma), np.asarray(zeta)
    return None
