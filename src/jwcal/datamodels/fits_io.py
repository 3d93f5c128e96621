"""Reading and writing data models as JWST FITS files.

The layout is that of the JWST products: metadata as keywords of the primary and extension
headers (names and HDUs from the keyword table), each array in an image extension named by
its EXTNAME, tables as binary tables, and the whole metadata tree (with what has no FITS
keyword, such as the WCS) as an ASDF file inside a binary table extension named ``ASDF``.
On reading, FITS keywords take precedence over the ASDF tree, as the JWST tools do.

Plain files are read and written by :mod:`.fitsfile` (no astropy import, which costs a
third of a second); compressed files, tile-compressed images, scaled images and tables
with columns it does not read go through ``astropy.io.fits``, opened only for them.
"""

from __future__ import annotations

import copy
import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import InputError, OutputError, ValidationError
from . import fitsfile, fitswrite, schema

__all__ = ["FitsSource", "open_fits", "write_fits", "ASDF_EXTNAME"]

ASDF_EXTNAME = "ASDF"
_ASDF_COLUMN = "ASDF_METADATA"

# FITS stores unsigned integers as signed ones offset by BZERO.
_PSEUDO_UNSIGNED = {16: ("u2", 1 << 15), 32: ("u4", 1 << 31), 64: ("u8", 1 << 63)}
_BITPIX = {8: "u1", 16: "i2", 32: "i4", 64: "i8", -32: "f4", -64: "f8"}


def _astropy_fits():
    from astropy.io import fits

    return fits


class ImageSource:
    """An image extension of an open file, read on demand.

    Plain files are memory-mapped, so that one integration can be read without the rest;
    what needs astropy (scaled values, compressed data) is read through ``astropy_hdu``,
    a function returning the astropy HDU.
    """

    def __init__(self, path: str, header, data_offset: int | None, astropy_hdu=None):
        self.path = path
        self._astropy_hdu = astropy_hdu
        naxis = header.get("NAXIS", 0)
        self.shape = tuple(int(header[f"NAXIS{i}"]) for i in range(naxis, 0, -1))
        bitpix = header["BITPIX"]
        bzero = header.get("BZERO", 0)
        bscale = header.get("BSCALE", 1)
        self._raw = ">" + _BITPIX[bitpix]
        self._unsigned = None
        if bitpix in _PSEUDO_UNSIGNED and bscale == 1 and bzero == _PSEUDO_UNSIGNED[bitpix][1]:
            self._unsigned = _PSEUDO_UNSIGNED[bitpix][0]
            self.dtype = np.dtype(self._unsigned)
        elif bscale == 1 and bzero == 0:
            self.dtype = np.dtype(_BITPIX[bitpix])
        else:
            self.dtype = None  # scaled data: let astropy apply BSCALE/BZERO
        self._offset = data_offset

    def _memmap(self):
        # A fresh map per read, dropped by the caller: pages of a kept map stay in the
        # process's resident set, so reading a large file (a ramp integration by
        # integration, a dark frame by frame) would count the whole file in its memory.
        count = int(np.prod(self.shape)) if self.shape else 0
        return np.memmap(
            self.path, dtype=self._raw, mode="r", offset=self._offset, shape=(count,)
        ).reshape(self.shape)

    def _convert(self, raw: np.ndarray) -> np.ndarray:
        if self._unsigned is not None:
            out = np.empty(raw.shape, dtype=self._unsigned)
            flip = np.array(1 << (8 * out.itemsize - 1), dtype=self._unsigned)
            # One pass: the XOR undoes the offset and the ufunc swaps the byte order.
            np.bitwise_xor(raw.view(">" + self._unsigned), flip, out=out)
            return out
        return np.array(raw, dtype=raw.dtype.newbyteorder("="), order="C")

    def _plain(self) -> bool:
        return self.dtype is not None and self._offset is not None

    def load(self) -> np.ndarray:
        if not self.shape:
            return None
        if not self._plain():
            data = self._astropy_hdu().data
            return np.array(data, dtype=data.dtype.newbyteorder("="), order="C")
        return self._convert(self._memmap())

    def section(self, index) -> np.ndarray:
        """Read ``array[index]`` only (e.g. one integration of a ramp)."""
        if not self._plain():
            return np.ascontiguousarray(self.load()[index])
        # _convert makes the one (native, contiguous) copy straight from the mapped view.
        return self._convert(self._memmap()[index])

    def read_into(self, index, out: np.ndarray) -> None:
        """``out[...] = array[index]``: one conversion pass from the file's pages into
        ``out`` (of any dtype the values fit), with no temporaries."""
        if not self._plain():
            out[...] = self.section(index)
            return
        raw = self._memmap()[index]
        if self._unsigned is not None and out.dtype.kind == "f":
            # Stored signed with the offset BZERO = 2**(bits-1): added in the output type,
            # exactly, as the unsigned values fit in its mantissa.
            bzero = 1 << (8 * raw.dtype.itemsize - 1)
            if raw.dtype.itemsize * 8 < np.finfo(out.dtype).nmant:
                np.add(raw, out.dtype.type(bzero), out=out, casting="unsafe")
                return
        if self._unsigned is not None:
            out[...] = self._convert(raw)
            return
        np.copyto(out, raw, casting="unsafe")

    def stored(self, index):
        """``array[index]`` as stored in the file: a read-only memory-mapped view in the
        file's byte order, or None when the values need converting (BZERO/BSCALE) or the
        file cannot be mapped.  For kernels that read either byte order."""
        if not self._plain() or self._unsigned is not None:
            return None
        return self._memmap()[index]

    def close(self):
        pass


class FitsSource:
    """An open JWST FITS file: its headers, metadata tree and lazily read arrays."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self._hdul = None  # astropy's view of the file, opened when first needed
        # gzip/bzip2 files are read through astropy; plain files are memory-mapped.
        self.compressed = self.path.lower().endswith((".gz", ".bz2", ".zip"))
        self._hdus = None
        if not self.compressed:
            self._hdus = self._scan()
        if self._hdus is None:
            self._from_astropy()
        self.headers = {}
        for hdu in self._hdus:
            self.headers.setdefault(hdu.name, hdu.header)

    def _scan(self):
        """The file's HDUs as :mod:`.fitsfile` reads them, or None to leave it to astropy."""
        try:
            hdus, size = fitsfile.scan(self.path)
        except FileNotFoundError:
            raise InputError(f"{self.path}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{self.path}: not a readable FITS file (a directory)") from None
        except fitsfile.Unsupported:
            return None
        except EOFError:
            size = os.path.getsize(self.path)
            if size % 2880:
                raise InputError(self._not_whole(size)) from None
            raise InputError(f"{self.path}: truncated file (it ends inside a header)") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.path}: not a readable FITS file ({_oneline(exc)})") from None
        if size % 2880:
            raise InputError(self._not_whole(size))
        for hdu in hdus:
            end = hdu.data_offset + hdu.data_size
            if end > size:
                name = hdu.name or f"#{hdu.index}"
                raise InputError(
                    f"{self.path}: truncated file (HDU {name} needs {end} bytes, the file has "
                    f"{size})"
                )
        return hdus

    def _not_whole(self, size: int) -> str:
        return (
            f"{self.path}: truncated file ({size} bytes is not a whole number of 2880-byte "
            f"FITS blocks)"
        )

    def _astropy(self):
        if self._hdul is None:
            fits = _astropy_fits()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._hdul = fits.open(self.path, memmap=False, lazy_load_hdus=False)
            except FileNotFoundError:
                raise InputError(f"{self.path}: no such file") from None
            except (OSError, ValueError, TypeError, IndexError) as exc:
                raise InputError(
                    f"{self.path}: not a readable FITS file ({_oneline(exc)})"
                ) from None
        return self._hdul

    def _from_astropy(self):
        """HDUs described from astropy's reading (compressed or unusual files)."""
        hdul = self._astropy()
        if not self.compressed:
            self._check_complete(hdul)
        self._hdus = []
        for i, hdu in enumerate(hdul):
            info = None if self.compressed else hdul.fileinfo(i)
            h = _AstropyHDU(i, "PRIMARY" if i == 0 else hdu.name, hdu.header)
            h.data_offset = None if info is None else info["datLoc"]
            self._hdus.append(h)

    def _check_complete(self, hdul):
        size = os.path.getsize(self.path)
        if size % 2880:
            raise InputError(self._not_whole(size))
        for i, hdu in enumerate(hdul):
            info = hdul.fileinfo(i)
            if info is None:
                continue
            end = info["datLoc"] + info["datSpan"]
            if end > size:
                name = "PRIMARY" if i == 0 else hdu.name
                raise InputError(
                    f"{self.path}: truncated file (HDU {name} needs {end} bytes, the file has "
                    f"{size})"
                )

    def _find(self, extname: str):
        if extname == "PRIMARY":
            return self._hdus[0]
        key = extname.upper()
        for hdu in self._hdus[1:]:
            if hdu.name.upper() == key:
                return hdu
        raise KeyError(f"{self.path}: no extension {extname}")

    def has(self, extname: str) -> bool:
        return (
            extname in self.headers
            and extname != "PRIMARY"
            or (extname == "PRIMARY" and self._hdus[0].header.get("NAXIS", 0) > 0)
        )

    def image(self, extname: str) -> ImageSource:
        hdu = self._find(extname)
        index = hdu.index
        kind = hdu.kind
        if isinstance(hdu, _AstropyHDU):
            fits = _astropy_fits()
            ahdu = self._astropy()[index]
            if not isinstance(ahdu, (fits.ImageHDU, fits.PrimaryHDU, fits.CompImageHDU)):
                raise InputError(f"{self.path}: extension {extname} is not an image")
            plain = not self.compressed and isinstance(ahdu, (fits.ImageHDU, fits.PrimaryHDU))
            offset = hdu.data_offset if plain else None
            return ImageSource(self.path, ahdu.header, offset, lambda: self._astropy()[index])
        if kind == "image":
            return ImageSource(
                self.path, hdu.header, hdu.data_offset, lambda: self._astropy()[index]
            )
        if kind == "other":  # a tile-compressed image, which astropy decompresses
            ahdu = self._astropy()[index]
            if not isinstance(ahdu, _astropy_fits().CompImageHDU):
                raise InputError(f"{self.path}: extension {extname} is not an image")
            return ImageSource(self.path, ahdu.header, None, lambda: self._astropy()[index])
        raise InputError(f"{self.path}: extension {extname} is not an image")

    def table(self, extname: str) -> np.ndarray:
        hdu = self._find(extname)
        if hdu.kind == "bintable" and not isinstance(hdu, _AstropyHDU):
            try:
                return fitsfile.read_table(self.path, hdu)
            except fitsfile.Unsupported:
                pass
        ahdu = self._astropy()[hdu.index]
        if not isinstance(ahdu, _astropy_fits().BinTableHDU):
            raise InputError(f"{self.path}: extension {extname} is not a table")
        return table_to_array(ahdu.data)

    def _asdf_bytes(self) -> bytes:
        hdu = self._find(ASDF_EXTNAME)
        try:
            if hdu.kind != "bintable" or isinstance(hdu, _AstropyHDU):
                raise fitsfile.Unsupported("not a plain binary table")
            tab = fitsfile.read_table(self.path, hdu)
            if _ASDF_COLUMN in tab.dtype.names and len(tab):
                return np.asarray(tab[_ASDF_COLUMN][0]).tobytes()
            return tab.tobytes()
        except (fitsfile.Unsupported, EOFError):
            ahdu = self._astropy()[hdu.index]
            try:
                return np.asarray(ahdu.data[_ASDF_COLUMN][0]).tobytes()
            except (KeyError, IndexError, TypeError):
                return np.asarray(ahdu.data).tobytes()

    def tree(self) -> dict:
        """The metadata tree: the ASDF extension, overlaid by the FITS keywords."""
        tree = {}
        if ASDF_EXTNAME in self.headers:
            tree = read_asdf_extension(self._asdf_bytes(), self.path)
        meta = tree.setdefault("meta", {})
        if not isinstance(meta, dict):
            meta = tree["meta"] = {}
        for kw in schema.keywords():
            hdr = self.headers.get(kw.hdu)
            if hdr is None or kw.keyword not in hdr:
                continue
            value = hdr[kw.keyword]
            if kw.type == "number" and isinstance(value, bool):
                continue
            _set_path(tree, kw.path, value)
        return tree

    def close(self):
        if self._hdul is not None:
            try:
                self._hdul.close()
            except Exception:
                pass
            self._hdul = None


class _AstropyHDU:
    """An HDU of a file read by astropy, described as :class:`.fitsfile.HDU` is."""

    kind = "astropy"

    def __init__(self, index, name, header):
        self.index = index
        self.name = name
        self.header = header
        self.data_offset = None


def _oneline(exc) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _set_path(tree: dict, path: str, value) -> None:
    cur = tree
    parts = path.split(".")
    for p in parts[:-1]:
        nxt = cur.get(p)
        if not isinstance(nxt, dict):
            nxt = cur[p] = {}
        cur = nxt
    cur[parts[-1]] = value


def _get_path(tree: dict, path: str):
    cur = tree
    for p in path.split("."):
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def table_to_array(data) -> np.ndarray:
    """A FITS table as a native structured array, text columns as str."""
    if data is None:
        return None
    arr = np.asarray(data)
    # Through FITS_rec.field, columns come with TZERO/TSCAL applied: unsigned integers are
    # stored as signed ones offset by TZERO (the raw record array would give those).
    cols = {
        name: (data.field(name) if hasattr(data, "field") else arr[name])
        for name in arr.dtype.names
    }
    fields = []
    for name in arr.dtype.names:
        col = np.asarray(cols[name])
        dt = col.dtype
        shape = col.shape[1:]
        if dt.kind == "S":
            fields.append((name, f"U{max(dt.itemsize, 1)}", shape))
        else:
            fields.append((name, dt.base.newbyteorder("="), shape))
    out = np.empty(arr.shape, dtype=[(n, d, s) if s else (n, d) for n, d, s in fields])
    for name, dt, _ in fields:
        col = cols[name]
        if dt.startswith("U") if isinstance(dt, str) else False:
            out[name] = np.char.decode(np.asarray(col), "ascii", errors="replace")
        else:
            out[name] = col
    return out


def read_asdf_extension(raw: bytes, path: str) -> dict:
    from .asdf_block import decode

    try:
        return decode(raw)
    except Exception as exc:  # a damaged ASDF extension should not hide the FITS data
        raise InputError(f"{path}: unreadable ASDF extension ({_oneline(exc)})") from None


def open_fits(path) -> FitsSource:
    return FitsSource(path)


def _header_value(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, str | bool | int | float):
        return value
    return None


def _keyword_cards(items) -> list[str]:
    """Header cards of (Keyword, value) pairs: values FITS cannot hold are left out, and a
    keyword given twice keeps its first place and its last value."""
    values: dict[str, object] = {}
    for kw, value in items:
        hv = _header_value(value)
        if hv is None:
            continue
        if isinstance(hv, str):
            hv = hv.replace("\n", " ")
        values[kw.keyword] = hv
    cards = []
    for key, value in values.items():
        cards += fitswrite.format_card(key, value)
    return cards


def build_hdus(model) -> list[tuple[list[str], np.ndarray | None]]:
    """The HDUs of a model, as (header cards, data): keywords, arrays, tables and the ASDF
    metadata extension."""
    spec = model.schema_def
    tree = model._tree
    by_hdu: dict[str, list] = {}
    for kw in schema.keywords():
        value = _get_path(tree, kw.path)
        if value is None:
            continue
        by_hdu.setdefault(spec.hdu_of(kw), []).append((kw, value))

    hdus = [(fitswrite.primary_cards() + _keyword_cards(by_hdu.get("PRIMARY", [])), None)]
    for name, aspec in spec.arrays.items():
        arr = model._arrays.get(name)
        if arr is None and name in model._sources:
            arr = model._load(name)
        if arr is None:
            continue
        arr = np.asarray(arr)
        try:
            cards = fitswrite.image_cards(arr, aspec.extname)
        except ValueError as exc:
            raise ValidationError(f"{type(model).__name__}.{name}: {exc}") from None
        hdus.append((cards + _keyword_cards(by_hdu.get(aspec.extname, [])), arr))
    for name, tspec in spec.tables.items():
        tab = model._tables.get(name)
        if tab is None:
            continue
        hdus.append(table_hdu(tab, tspec.extname))

    asdf_tree = {"meta": _strip_none(copy.copy(tree.get("meta", {})))}
    for key, value in model._extra.items():
        asdf_tree[key] = value
    hdus.append(asdf_extension(asdf_tree))
    return hdus


def table_hdu(arr: np.ndarray, extname: str) -> tuple[list[str], np.ndarray]:
    """A structured array as a binary-table HDU, str columns as ASCII."""
    arr = np.asarray(arr)
    fields = []
    for name in arr.dtype.names:
        dt = arr.dtype[name]
        if dt.kind == "U":
            fields.append((name, f"S{max(dt.itemsize // 4, 1)}", dt.shape))
        else:
            fields.append((name, dt.base, dt.shape))
    out = np.empty(arr.shape, dtype=[(n, d, s) if s else (n, d) for n, d, s in fields])
    for name in arr.dtype.names:
        col = arr[name]
        out[name] = np.char.encode(col, "ascii", errors="replace") if col.dtype.kind == "U" else col
    try:
        cards = fitswrite.table_cards(out, extname)
    except ValueError as exc:
        raise ValidationError(f"table {extname}: {exc}") from None
    return cards, out


def _strip_none(d):
    if isinstance(d, dict):
        return {
            k: _strip_none(v)
            for k, v in d.items()
            if v is not None and not (isinstance(v, dict) and not v)
        }
    return d


def asdf_extension(tree: dict) -> tuple[list[str], np.ndarray]:
    """The ASDF metadata as a one-row, one-column binary table of bytes."""
    from .asdf_block import encode

    raw = np.frombuffer(encode(tree), dtype=np.uint8)
    table = np.empty(1, dtype=[(_ASDF_COLUMN, np.uint8, (raw.size,))])
    table[_ASDF_COLUMN][0] = raw
    return fitswrite.table_cards(table, ASDF_EXTNAME), table


def write_fits(model, path, overwrite: bool = True) -> Path:
    """Write a model to ``path`` through a temporary file, so that a failure leaves nothing."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputError(f"{path}: exists (pass overwrite=True to replace it)")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{path}: output directory {parent} does not exist")
    tmp = parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        hdus = build_hdus(model)
        with open(tmp, "wb") as f:
            fitswrite.write_hdus(f, hdus)
        os.replace(tmp, path)
    except ValidationError:
        _unlink(tmp)
        raise
    except OSError as exc:
        _unlink(tmp)
        raise OutputError(f"cannot write {path}: {exc.strerror or _oneline(exc)}") from None
    except BaseException:
        _unlink(tmp)
        raise
    return path


def _unlink(p: Path) -> None:
    try:
        p.unlink()
    except OSError:
        pass
