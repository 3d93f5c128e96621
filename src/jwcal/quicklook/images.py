"""Images for people: an asinh-stretched view of a rate image and a map of DQ flags.

With matplotlib (the ``plot`` extra) the PNGs have axes, a title and a colour bar; without
it a plain 8-bit greyscale (or RGB) PNG is written with zlib, so a fresh install can still
look at its products.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["asinh_stretch", "save_image_png", "save_dq_png", "write_grey_png"]

#: DQ flags shown on the summary map, in drawing order (later ones win), with RGB colours.
DQ_CLASSES = (
    ("DO_NOT_USE", 1, (160, 0, 160)),
    ("JUMP_DET", 4, (255, 200, 0)),
    ("LOW_QE", 8192, (120, 120, 255)),
    ("WARM", 4096, (255, 140, 140)),
    ("HOT", 2048, (230, 0, 0)),
    ("DEAD", 1024, (40, 40, 40)),
    ("SATURATED", 2, (0, 200, 255)),
    ("REFERENCE_PIXEL", 2147483648, (0, 150, 0)),
)


def asinh_stretch(data: np.ndarray, lo_pct: float = 1.0, hi_pct: float = 99.8, soft=0.02):
    """Map ``data`` to 0..1 with an asinh stretch between two percentiles.

    ``soft`` is where (as a fraction of the range) the stretch turns from linear to
    logarithmic: faint sky noise stays visible while bright stars do not saturate.
    Returns the stretched image and the (lo, hi) data values of its ends.
    """
    d = np.asarray(data, dtype=np.float64)
    finite = np.isfinite(d)
    if not finite.any():
        return np.zeros(d.shape), (0.0, 1.0)
    lo, hi = np.percentile(d[finite], [lo_pct, hi_pct])
    if hi <= lo:
        hi = lo + 1.0
    x = np.clip((np.where(finite, d, lo) - lo) / (hi - lo), 0, 1)
    return np.arcsinh(x / soft) / np.arcsinh(1 / soft), (float(lo), float(hi))


def _atomic(path: Path, write):
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_grey_png(path, img01: np.ndarray) -> Path:
    """A PNG from an array in 0..1 (greyscale, (ny, nx)) or 0..255 RGB ((ny, nx, 3), uint8).

    Row 0 of the array is drawn at the bottom, as astronomers display images."""
    arr = np.asarray(img01)
    if arr.ndim == 2:
        pix = np.clip(np.rint(arr * 255), 0, 255).astype(np.uint8)[::-1]
        color = 0
        rows = pix
    else:
        rows = np.asarray(arr, dtype=np.uint8)[::-1].reshape(arr.shape[0], -1)
        color = 2
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + r.tobytes() for r in rows)

    def chunk(tag, data):
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )
    return _atomic(Path(path), lambda p: Path(p).write_bytes(png))


def _have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _stretch_ticks(values, lo: float, hi: float) -> list[float]:
    """``values`` rounded to two significant figures, inside [lo, hi], without repeats."""
    out: list[float] = []
    for v in values:
        v = float(v)
        if v != 0.0 and np.isfinite(v):
            v = float(f"{v:.2g}")
        if lo <= v <= hi and (not out or v != out[-1]):
            out.append(v)
    return out


def save_image_png(
    path,
    data: np.ndarray,
    title: str = "",
    unit: str = "DN/s",
    *,
    use_matplotlib: bool | None = None,
) -> Path:
    """An asinh-stretched view of ``data`` (e.g. a rate image) with a colour bar."""
    stretched, (lo, hi) = asinh_stretch(data)
    if use_matplotlib is None:
        use_matplotlib = _have_matplotlib()
    if not use_matplotlib:
        return write_grey_png(path, stretched)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import FuncNorm

    soft = 0.02

    def fwd(v):
        x = np.clip((np.asarray(v, dtype=float) - lo) / (hi - lo), 0, 1)
        return np.arcsinh(x / soft) / np.arcsinh(1 / soft)

    def inv(s):
        return lo + (hi - lo) * soft * np.sinh(np.asarray(s, dtype=float) * np.arcsinh(1 / soft))

    ny, nx = data.shape
    fig, ax = plt.subplots(figsize=(6.4, 6.4 * ny / nx * 0.9 + 0.8), dpi=110)
    im = ax.imshow(
        data,
        origin="lower",
        cmap="magma",
        norm=FuncNorm((fwd, inv), lo, hi),
        interpolation="nearest",
    )
    cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    # ticks spaced evenly in the stretch (linear ones crowd where asinh compresses)
    cb.set_ticks(_stretch_ticks(inv(np.linspace(0.0, 1.0, 6)), lo, hi))
    cb.set_label(unit)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")
    fig.tight_layout()
    out = _atomic(Path(path), lambda p: fig.savefig(p, format="png", bbox_inches="tight"))
    plt.close(fig)
    return out


def save_dq_png(path, dq: np.ndarray, title: str = "", *, use_matplotlib=None) -> Path:
    """A map of the DQ flags: one colour per flag class, with a legend of pixel counts."""
    dq = np.asarray(dq, dtype=np.uint32)
    rgb = np.full(dq.shape + (3,), 255, dtype=np.uint8)
    counts = []
    for name, bit, colour in DQ_CLASSES:
        sel = (dq & np.uint32(bit)) != 0
        rgb[sel] = colour
        counts.append((name, int(sel.sum()), colour))
    if use_matplotlib is None:
        use_matplotlib = _have_matplotlib()
    if not use_matplotlib:
        return write_grey_png(path, rgb)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    ny, nx = dq.shape
    fig, ax = plt.subplots(figsize=(7.6, 6.4 * ny / nx * 0.9 + 0.8), dpi=110)
    ax.imshow(rgb, origin="lower", interpolation="nearest")
    handles = [Patch(color=np.array(c) / 255, label=f"{n}: {k}") for n, k, c in counts if k]
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
            title="flag: pixels",
            title_fontsize=8,
        )
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")
    fig.tight_layout()
    out = _atomic(Path(path), lambda p: fig.savefig(p, format="png", bbox_inches="tight"))
    plt.close(fig)
    return out
