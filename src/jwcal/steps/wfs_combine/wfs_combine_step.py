"""The wfs_combine step (calwebb_wfs-image3): one combined image per pair of WFS&C
exposures of a level-3 association."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ... import datamodels
from ...errors import InputError
from ...stpipe import Param, Step
from .combine import combine_pair, refine_offset, shift_by, wcs_offset

__all__ = ["WfsCombineStep"]


class WfsCombineStep(Step):
    """Combine the two dithered images of each WFS&C product (jwst 3.0's wfs_combine).

    Image 2 is moved onto image 1 by the whole-pixel offset between their WCSs at image
    1's centre (``do_refine``: corrected by cross-correlating the PSFs); with
    ``flip_dithers`` the pair is swapped first when that x offset is negative.  The result
    averages the two where both are good (DO_NOT_USE marks the bad), keeps image 1's
    metadata and WCS and is named after the product (``{suffix}`` -> ``wfscmb``).  Pixels
    shifted in from outside image 2 count as good zeros, as in jwst.
    """

    class_alias = "calwebb_wfs-image3"
    cal_step = "wfs_combine"
    params = {
        "do_refine": Param(bool, False, "refine the WCS offset by cross-correlation"),
        "flip_dithers": Param(bool, True, "swap the pair when the x offset is negative"),
        "psf_size": Param(int, 100, "half-size of the PSF box, pixels", min=1),
        "blur_size": Param(int, 10, "half-size of the smoothing kernel, pixels", min=1),
        "n_size": Param(int, 2, "half-size of the bad-pixel interpolation box", min=1),
    }

    def default_suffix(self):
        return "wfscmb"

    def process(self, input):
        from ...associations import Association

        asn = self.prepare_output(input) if isinstance(input, (str, os.PathLike)) else input
        if not isinstance(asn, Association):
            raise InputError("wfs_combine needs a level-3 association (.json)")
        self.log.info("The number of pairs of input files: %d", len(asn.products))
        outputs = []
        for k, product in enumerate(asn.products):
            sci = asn.members("science", product=k)
            if len(sci) != 2:
                raise InputError(f"product {product.get('name')}: {len(sci)} science members, "
                                 "wfs_combine needs exactly 2")  # fmt: skip
            m1, m2 = (datamodels.open(asn.member_path(m)) for m in sci)
            out = self._combine(m1, m2)
            out.meta.asn.pool_name = asn.get("asn_pool")
            out.meta.asn.table_name = Path(asn.table_name or str(input)).name
            out.meta.filename = product["name"].format(suffix="wfscmb") + ".fits"
            outputs.append(out)
        # saved under the names just set, as they are (jwst: "<product name>.fits")
        self.output_use_model = True
        object.__setattr__(self, "suffix", False)
        return outputs

    def _combine(self, m1, m2):
        for m in (m1, m2):
            m.data = np.nan_to_num(np.array(m.data, np.float32), nan=0.0)
        shape = m1.data.shape
        if m2.data.shape != shape:
            raise InputError(f"{m1.meta.filename} and {m2.meta.filename} differ in shape")
        fx, fy = wcs_offset(m1.meta.wcs, m2.meta.wcs, shape)
        self.log.info("From the WCS the x,y pixel offsets are: %.2f %.2f", fx, fy)
        if int(round(fx)) < 0 and self.flip_dithers:
            m1, m2 = m2, m1
            fx, fy = wcs_offset(m1.meta.wcs, m2.meta.wcs, shape)
        self.log.info("Files to combine: %s and %s", m1.meta.filename, m2.meta.filename)
        ox, oy = int(round(fx)), int(round(fy))
        if self.do_refine:
            dx, dy = refine_offset(m1, m2, (ox, oy), psf_size=self.psf_size,
                                   blur_size=self.blur_size, n_size=self.n_size)  # fmt: skip
            self.log.info("Refined offset changes x,y: %.2f %.2f", dx, dy)
            fx, fy = ox + dx, oy + dy
            ox, oy = ox + int(round(dx)), oy + int(round(dy))
        # the shifted DQ and ERR take the model's types back (uint32, float32), as jwst's
        # assignment to the model does
        d2 = shift_by(m2.data, ox, oy)
        dq2 = shift_by(m2.dq, ox, oy).astype(np.uint32)
        e2 = shift_by(m2.err, ox, oy).astype(np.float32)
        data, dq, err, _ = combine_pair(m1.data, m1.dq, m1.err, d2.astype(np.float32), dq2, e2)
        self.log.info("Offset applied %d, %d pixels (measured %.2f, %.2f)", ox, oy, fx, fy)
        out = datamodels.ImageModel(data.astype(np.float32))
        out.update(m1)
        out.meta.wcs = m1.meta.wcs
        out.dq = dq.astype(np.uint32)
        out.err = err.astype(np.float32)
        out.meta.cal_step.wfs_combine = "COMPLETE"
        return out
