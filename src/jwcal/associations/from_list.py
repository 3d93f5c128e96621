"""Making an association from a list of files, as jwst's ``asn_from_list`` does.

Level 3 (the default): one product, named by ``product_name`` (required), with every file a
member.  Level 2: one product per file, named after the file without its suffix
(``a_rate.fits`` -> ``a``); ``product_name`` is not used, as in jwst.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import __version__
from ..errors import ConfigError
from .asn import Association

__all__ = ["asn_from_list", "add_arguments", "run", "RULES"]

#: ``--rule`` spellings: jwcal's short ones and jwst's rule names.
RULES = {
    "level3": ("DMS_Level3_Base", 3),
    "dms_level3_base": ("DMS_Level3_Base", 3),
    "level2": ("DMSLevel2bBase", 2),
    "level2b": ("DMSLevel2bBase", 2),
    "dmslevel2bbase": ("DMSLevel2bBase", 2),
}


def _rule(rule: str) -> tuple[str, int]:
    key = rule.strip().lower()
    if key in RULES:
        return RULES[key]
    # jwst's specific rules (Asn_Lv2Image, Asn_Lv3SpecAux, ...) share these layouts.
    if key.startswith("asn_lv2"):
        return rule, 2
    if key.startswith("asn_lv3"):
        return rule, 3
    raise ConfigError(f"--rule {rule!r}: use level2 or level3 (or a jwst rule name)")


def _level2_name(expname: str) -> str:
    from ..stpipe.suffix import remove_suffix

    # As jwst: the directory and the name without its last extension, suffix removed.
    p = Path(expname)
    return remove_suffix(str(p.parent / p.stem))[0]


def asn_from_list(items, product_name=None, rule="level3", acid="o999", **meta) -> Association:
    """Build an association from file names.

    Parameters
    ----------
    items : list of str or (str, str)
        Member file names, or (name, exptype) pairs; plain names are ``science`` members.
    product_name : str
        The product's name (level 3, required).
    rule : str
        ``"level3"``, ``"level2"``, or a jwst rule name.
    acid : str
        Association candidate id; level 2 needs ``o...`` or ``c...`` as in jwst.
    **meta
        Other top-level fields to set (``asn_pool``, ``program``, ...).

    Returns
    -------
    Association
    """
    rule_name, level = _rule(rule)
    members = []
    for item in items:
        if isinstance(item, (tuple, list)):
            name, exptype = item[0], (item[1] or "science")
        else:
            name, exptype = item, "science"
        members.append({"expname": os.fspath(name), "exptype": exptype})
    if not members:
        raise ConfigError("asn_from_list: no files given")
    data = {
        "asn_type": "None",
        "asn_rule": rule_name,
        "version_id": None,
        "code_version": __version__,
        "degraded_status": "No known degraded exposures in association.",
        "program": "noprogram",
        "constraints": "No constraints",
        "asn_id": "a3001",
    }
    if level == 3:
        if not product_name:
            raise ConfigError("a level-3 association needs a product name (--product-name)")
        data["target"] = "none"
        data["asn_pool"] = "none"
        data["products"] = [{"name": product_name, "members": members}]
    else:
        if not str(acid).startswith(("o", "c")):
            raise ConfigError(f"association candidate id {acid!r} must start with o or c")
        data["asn_pool"] = "none"
        data["products"] = [{"name": _level2_name(m["expname"]), "members": [m]} for m in members]
    data.update(meta)
    return Association(data)


def add_arguments(parser) -> None:
    parser.add_argument("-o", "--output-file", required=True, help="association file to write")
    parser.add_argument("--product-name", help="name of the level-3 product")
    parser.add_argument(
        "-r", "--rule", default="level3", help="level3 (default), level2, or a jwst rule name"
    )
    parser.add_argument("-i", "--id", dest="acid", default="o999", help="candidate id (o999)")
    parser.add_argument("-f", "--format", default="json", help="only json is written")
    parser.add_argument("files", nargs="+", help="member files")


def run(args) -> int:
    if args.format.lower() != "json":
        raise ConfigError(f"--format {args.format!r}: only json is supported")
    asn = asn_from_list(args.files, product_name=args.product_name, rule=args.rule, acid=args.acid)
    path = asn.save(args.output_file)
    print(f"wrote {path}: {len(asn.products)} product(s), {len(asn.members())} member(s)")
    return 0
