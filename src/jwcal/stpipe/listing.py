"""``python -m jwcal list``: every pipeline and step, one line each, and whether jwcal has it."""

from __future__ import annotations

from . import registry

__all__ = ["add_arguments", "run", "lines"]


def add_arguments(parser) -> None:
    parser.add_argument(
        "what",
        nargs="?",
        choices=("all", "pipelines", "steps"),
        default="all",
        help="what to list (default: all)",
    )


def lines(what: str = "all") -> list[str]:
    """The listing, as text lines."""
    out: list[str] = []
    shorts = {v: k for k, v in registry.SHORT_NAMES.items()}
    if what in ("all", "pipelines"):
        out.append("pipelines (alias, short form, class, status):")
        rows = []
        for alias, e in registry.PIPELINES.items():
            rows.append((alias, shorts.get(alias, ""), e.class_name, e, e.description))
        for alias, real in registry.PIPELINE_ALIASES.items():
            e = registry.PIPELINES[real]
            rows.append((alias, "", e.class_name, e, f"another name of {real}"))
        w = max(len(r[0]) for r in rows)
        for alias, short, cls, e, desc in rows:
            status = "available" if registry.is_available(e) else "not yet"
            out.append(f"  {alias:<{w}}  {short:<13} {cls:<20} {status:<9}  {desc}")
    if what in ("all", "steps"):
        if out:
            out.append("")
        out.append("steps (alias, class, status):")
        w = max(len(a) for a in registry.STEPS)
        for alias, e in registry.STEPS.items():
            status = "available" if registry.is_available(e) else "not yet"
            out.append(f"  {alias:<{w}}  {e.class_name:<24} {status:<9}  {e.description}")
    return out


def run(args) -> int:
    print("\n".join(lines(args.what)))
    return 0
