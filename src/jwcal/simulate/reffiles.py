"""CRDS-format reference files consistent with what the simulator injects.

Every file carries REFTYPE, the selection keywords, USEAFTER, SUBSTRT/SUBSIZE (jwst refuses
reference files without them), FASTAXIS/SLOWAXIS and DESCRIP/AUTHOR/PEDIGREE.  Arrays are
written at the exposure's subarray size (jwst cuts full-frame references but not darks, so
a subarray-sized set serves every step).  JWST conventions: SATURATION in raw DN including
the bias; READNOISE is CDS noise; IPC holds the deconvolution kernel; LINEARITY COEFFS map
the measured (bias-subtracted, refpix-corrected) DN to linear DN.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import datamodels as dm
from ..dqflags import pixel as DQ
from .detector import DetectorMaps, ipc_inverse_kernel
from .instruments import DetectorSpec, ReadPattern, SubarraySpec

__all__ = ["RefWriter", "DQ_DEF"]

DQ_DEF = np.array(
    [
        (0, DQ["DO_NOT_USE"], "DO_NOT_USE", "Bad pixel, do not use"),
        (1, DQ["SATURATED"], "SATURATED", "Saturated"),
        (10, DQ["DEAD"], "DEAD", "Dead pixel"),
        (11, DQ["HOT"], "HOT", "Hot pixel"),
        (12, DQ["WARM"], "WARM", "Warm pixel"),
        (13, DQ["LOW_QE"], "LOW_QE", "Low quantum efficiency"),
        (20, DQ["NO_LIN_CORR"], "NO_LIN_CORR", "No linearity correction"),
        (21, DQ["NO_SAT_CHECK"], "NO_SAT_CHECK", "No saturation check"),
        (31, DQ["REFERENCE_PIXEL"], "REFERENCE_PIXEL", "Reference pixel"),
    ],
    dtype=list(dm.reference.DQ_DEF_COLUMNS),
)


class RefWriter:
    """Writes the reference files of one simulated exposure into ``refdir``."""

    def __init__(
        self,
        refdir: Path,
        det: DetectorSpec,
        sub: SubarraySpec,
        rp: ReadPattern,
        *,
        exp_type: str,
        filt: str | None = None,
        pupil: str | None = None,
    ):
        self.refdir = Path(refdir)
        self.refdir.mkdir(parents=True, exist_ok=True)
        self.det, self.sub, self.rp = det, sub, rp
        self.exp_type, self.filt, self.pupil = exp_type, filt, pupil
        self.paths: dict[str, Path] = {}

    # ----- common header ------------------------------------------------------------------
    def _meta(self, model, reftype: str, descrip: str, *, shape=None, readpatt=None):
        m = model.meta
        m.reftype = reftype.upper()
        m.telescope = "JWST"
        m.instrument.name = self.det.instrument
        m.instrument.detector = self.det.name
        if self.det.channel:
            m.instrument.channel = self.det.channel
        if self.det.module:
            m.instrument.module = self.det.module
        m.useafter = "2022-01-01T00:00:00"
        m.pedigree = "DUMMY"
        m.author = "jwcal.simulate"
        m.description = descrip
        m.subarray.name = self.sub.name
        m.subarray.xstart = self.sub.xstart
        m.subarray.ystart = self.sub.ystart
        m.subarray.xsize = self.sub.xsize
        m.subarray.ysize = self.sub.ysize
        m.subarray.fastaxis = self.det.fastaxis
        m.subarray.slowaxis = self.det.slowaxis
        m.exposure.type = self.exp_type
        if readpatt:
            m.exposure.readpatt = readpatt
        return m

    def _save(self, model, reftype: str, ext: str = "fits") -> Path:
        path = self.refdir / f"jwcal_sim_{self.det.name.lower()}_{reftype.lower()}.{ext}"
        model.save(path)
        self.paths[reftype.lower()] = path
        return path

    # ----- the reference types ------------------------------------------------------------
    def mask(self, dq: np.ndarray) -> Path:
        model = dm.MaskModel(dq=dq.astype(np.uint32))
        model.dq_def = DQ_DEF
        self._meta(model, "MASK", "Bad-pixel mask of the simulated detector")
        return self._save(model, "mask")

    def saturation(self, sat: np.ndarray, dq: np.ndarray | None = None) -> Path:
        model = dm.SaturationModel(sat.astype(np.float32))
        model.dq = dq if dq is not None else np.zeros(sat.shape, np.uint32)
        model.dq_def = DQ_DEF
        self._meta(model, "SATURATION", "Saturation threshold in raw DN, bias included")
        return self._save(model, "saturation")

    def superbias(self, bias: np.ndarray) -> Path:
        model = dm.SuperBiasModel(bias.astype(np.float32))
        model.err = np.zeros(bias.shape, np.float32)
        model.dq = np.zeros(bias.shape, np.uint32)
        model.dq_def = DQ_DEF
        self._meta(model, "SUPERBIAS", "Mean zero-signal level (DN)", readpatt="ANY")
        return self._save(model, "superbias")

    def linearity(self, coeffs: np.ndarray, dq: np.ndarray | None = None) -> Path:
        model = dm.LinearityModel(coeffs.astype(np.float32))
        model.dq = dq if dq is not None else np.zeros(coeffs.shape[1:], np.uint32)
        model.dq_def = DQ_DEF
        self._meta(model, "LINEARITY", "Polynomial that undoes the injected non-linearity")
        return self._save(model, "linearity")

    def dark(
        self, frames: np.ndarray, nframes: int, groupgap: int, avg_dark: np.ndarray, readpatt: str
    ) -> Path:
        """Near-IR: SCI (ngroups, ny, nx); MIRI: (nints, ngroups, ny, nx)."""
        if frames.ndim == 4:
            model = dm.DarkMIRIModel(frames.astype(np.float32))
            model.dq = np.zeros(frames.shape, np.uint32)
            model.meta.exposure.nints = frames.shape[0]
        else:
            model = dm.DarkModel(frames.astype(np.float32))
            model.dq = np.zeros(frames.shape[-2:], np.uint32)
        model.err = np.zeros(frames.shape, np.float32)
        model.average_dark_current = avg_dark.astype(np.float32)
        model.dq_def = DQ_DEF
        self._meta(model, "DARK", "Dark current (DN, linearised)", readpatt=readpatt)
        model.meta.exposure.nframes = nframes
        model.meta.exposure.groupgap = groupgap
        model.meta.exposure.ngroups = frames.shape[-3]
        model.meta.exposure.average_dark_current = float(np.median(avg_dark))
        return self._save(model, "dark")

    def gain(self, gain: np.ndarray) -> Path:
        model = dm.GainModel(gain.astype(np.float32))
        self._meta(model, "GAIN", "Gain (e-/DN)")
        model.meta.bunit_data = "electrons/DN"
        return self._save(model, "gain")

    def readnoise(self, rn: np.ndarray) -> Path:
        model = dm.ReadnoiseModel(rn.astype(np.float32))
        self._meta(model, "READNOISE", "Correlated-double-sample read noise (DN)")
        model.meta.bunit_data = "DN"
        return self._save(model, "readnoise")

    def ipc(self, forward: np.ndarray) -> Path:
        kernel = ipc_inverse_kernel(forward, 5).astype(np.float32)
        model = dm.IPCModel(kernel)
        self._meta(model, "IPC", "IPC deconvolution kernel (inverse of the forward coupling)")
        return self._save(model, "ipc")

    def irs2(self, cutoff: int = 256) -> Path:
        """IRS2 coefficients: alpha = 0 (the reference output is not used) and beta a
        low-pass filter over the interleaved reference samples.  jwst places 8 reference
        values in every 22-sample block of a 712-sample line, so the filter's DC gain is
        712/256 to turn their sum into a mean."""
        n = 712 * 2048
        freq = np.fft.fftfreq(n) * n
        beta = np.where(np.abs(freq) <= cutoff, 712.0 / 256.0, 0.0).astype(np.float32)
        rows = np.zeros(2 * n, dtype=list(dm.IRS2Model.schema_def.tables["irs2_table"].columns))
        for i in range(4):
            rows[f"beta_{i}"][0::2] = beta  # real parts; imaginary parts stay 0
        model = dm.IRS2Model()
        model.irs2_table = rows
        dqt = np.zeros(8, dtype=list(dm.IRS2Model.schema_def.tables["dq_table"].columns))
        dqt["OUTPUT"] = np.repeat(np.arange(1, 5), 2)
        dqt["ODD_EVEN"] = np.tile([1, 2], 4)
        model.dq_table = dqt
        self._meta(model, "REFPIX", "IRS2 reference-pixel coefficients", readpatt=self.rp.name)
        return self._save(model, "refpix")

    def persat(self, level: np.ndarray) -> Path:
        model = dm.PersistenceSatModel(level.astype(np.float32))
        model.dq = np.zeros(level.shape, np.uint32)
        model.dq_def = DQ_DEF
        self._meta(model, "PERSAT", "Persistence saturation level (DN above bias)")
        return self._save(model, "persat")

    def trapdensity(self, density: np.ndarray) -> Path:
        model = dm.TrapDensityModel(density.astype(np.float32))
        model.dq = np.zeros(density.shape, np.uint32)
        model.dq_def = DQ_DEF
        self._meta(model, "TRAPDENSITY", "Trap density (traps per pixel)")
        return self._save(model, "trapdensity")

    def trappars(self) -> Path:
        model = dm.TrapParsModel()
        cols = dm.TrapParsModel.schema_def.tables["trappars_table"].columns
        tab = np.zeros(3, dtype=list(cols))
        # Three trap families: fast, medium and slow release (decay in 1/s).
        tab["capture0"] = [180.0, 280.0, 460.0]
        tab["capture1"] = [-0.0005, -0.0007, -0.0009]
        tab["capture2"] = [0.0, 0.0, 0.0]
        tab["decay_param"] = [-0.02, -0.0015, -0.0002]
        model.trappars_table = tab
        self._meta(model, "TRAPPARS", "Trap capture and decay parameters")
        return self._save(model, "trappars")

    def flat(self, qe: np.ndarray, dq: np.ndarray) -> Path:
        good = qe > 0
        norm = float(np.median(qe[good])) if good.any() else 1.0
        data = np.where(good, qe / norm, 1.0).astype(np.float32)
        fdq = np.where(good, 0, DQ["NO_FLAT_FIELD"] | DQ["DO_NOT_USE"]).astype(np.uint32)
        fdq |= dq & DQ["REFERENCE_PIXEL"]
        model = dm.FlatModel(data)
        model.dq = fdq
        model.err = np.zeros(data.shape, np.float32)
        model.dq_def = DQ_DEF
        self._meta(model, "FLAT", "Flat field (relative QE), normalised to 1")
        if self.filt:
            model.meta.instrument.filter = self.filt
        return self._save(model, "flat")

    # ----- MIRI ---------------------------------------------------------------------------
    def reset(self, anomaly: np.ndarray) -> Path:
        model = dm.ResetModel(anomaly.astype(np.float32))
        model.dq = np.zeros(anomaly.shape[-2:], np.uint32)
        model.err = np.zeros(anomaly.shape, np.float32)
        model.dq_def = DQ_DEF
        self._meta(model, "RESET", "Reset anomaly (DN) per integration and group")
        model.meta.exposure.nints = anomaly.shape[0]
        model.meta.exposure.ngroups = anomaly.shape[1]
        return self._save(model, "reset")

    def rscd(self, skip_int1: int, skip_int2p: int) -> Path:
        model = dm.RSCDModel()
        cols = dm.RSCDModel.schema_def.tables["rscd_group_skip_table"].columns
        rows = []
        subs = (
            "FULL",
            "BRIGHTSKY",
            "SUB256",
            "SUB128",
            "SUB64",
            "MASK1065",
            "MASK1140",
            "MASK1550",
            "MASKLYOT",
            "SLITLESSPRISM",
        )
        for s in subs:
            for rp in ("FAST", "SLOW", "FASTR1"):
                rows.append((s, rp, skip_int1, skip_int2p))
        model.rscd_group_skip_table = np.array(rows, dtype=list(cols))
        self._meta(model, "RSCD", "Groups to skip for the reset-switch charge decay")
        return self._save(model, "rscd")

    def lastframe(self, offset: np.ndarray) -> Path:
        model = dm.LastFrameModel(offset.astype(np.float32))
        model.dq = np.zeros(offset.shape, np.uint32)
        model.err = np.zeros(offset.shape, np.float32)
        model.dq_def = DQ_DEF
        self._meta(model, "LASTFRAME", "Last-frame offset (DN)")
        return self._save(model, "lastframe")

    def emicorr(self) -> Path:
        """MIRI EMI frequencies (ASDF): the 10 Hz and 390 Hz families seen in flight data,
        with a sinusoidal phase-amplitude reference wave for each."""
        nb = 500
        phase = np.linspace(0, 2 * np.pi, nb, endpoint=False)
        freqs = {
            "Hz10": {"frequency": 10.039216, "phase_amplitudes": np.sin(phase).astype("f4")},
            "Hz390": {"frequency": 390.625, "phase_amplitudes": np.sin(phase).astype("f4")},
        }
        cases = {
            f"{s}_{rp}": {
                "rowclocks": 4 if s == "FULL" else 3,
                "frameclocks": 0,
                "freqs": ["Hz10", "Hz390"],
            }
            for s in ("FULL", "BRIGHTSKY", "SUB256", "SUB128", "SUB64")
            for rp in ("FAST", "SLOW")
        }
        model = dm.EmiModel(frequencies=freqs, subarray_cases=cases)
        m = model.meta
        m.reftype = "EMICORR"
        m.telescope = "JWST"
        m.instrument.name = "MIRI"
        m.instrument.detector = self.det.name
        m.useafter = "2022-01-01T00:00:00"
        m.pedigree = "DUMMY"
        m.author = "jwcal.simulate"
        m.description = "EMI frequencies (no EMI is injected by the simulator)"
        return self._save(model, "emicorr", ext="asdf")


def linearity_coeffs(maps: DetectorMaps, miri_bias: np.ndarray | None = None) -> np.ndarray:
    """COEFFS (4, ny, nx) of C(m) = m + c2 m^2 + c3 m^3.

    MIRI has no superbias step: its linearity is applied to raw DN with the bias level b in
    them, so the polynomial is re-expanded about the bias, C'(x) = b + C(x - b)."""
    c2 = maps.lin_c2.astype(np.float64)
    c3 = maps.lin_c3.astype(np.float64)
    ny, nx = c2.shape
    co = np.zeros((4, ny, nx), dtype=np.float64)
    if miri_bias is None:
        co[1], co[2], co[3] = 1.0, c2, c3
    else:
        b = miri_bias.astype(np.float64)
        co[0] = c2 * b * b - c3 * b**3
        co[1] = 1.0 - 2 * c2 * b + 3 * c3 * b * b
        co[2] = c2 - 3 * c3 * b
        co[3] = c3
    ref = maps.refpix
    co[:, ref] = 0.0
    co[1, ref] = 1.0
    return co.astype(np.float32)
