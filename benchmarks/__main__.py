"""``python -m benchmarks [--quick] [--section NAME]... [--out PATH] [--compare [OLD.md]]`` (from the repo root).

Sets numba and torch to one thread (the kernels are single-threaded; this
keeps the comparison fair and the numbers stable on a shared machine), runs the
registered sections and writes the report (default ``docs/benchmarks.md``) with
its figures in ``benchmarks/`` beside it. Peers run under the interpreters named
by the variables ``benchmarks/setup_peers.sh`` prints. ``--compare OLD.md``
(default: the committed ``docs/benchmarks.md``, read before it is overwritten)
then lists the ratios that moved by more than their run-to-run spread;
``--against NEW.md`` compares two existing reports without running anything.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from . import compare, peers, timing

LAST = ("scaling", "memory")  # they report on the points the other sections recorded


def _set_threads() -> None:
    import numba
    import torch

    numba.set_num_threads(timing.THREADS)
    torch.set_num_threads(timing.THREADS)


def main(argv: list[str] | None = None) -> int:
    from . import SECTIONS, sections  # noqa: F401  (registers the sections)

    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, short timings (a smoke run)")
    parser.add_argument("--section", action="append", choices=sorted(SECTIONS), help="run only these sections")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"), help="report path")
    parser.add_argument("--compare", type=Path, nargs="?", const=Path("docs/benchmarks.md"), metavar="OLD",
                        help="list the ratios that moved against OLD (default docs/benchmarks.md)")
    parser.add_argument("--against", type=Path, metavar="NEW",
                        help="with --compare: compare OLD with this report instead of running")
    args = parser.parse_args(argv)
    if args.against is not None:
        if args.compare is None:
            parser.error("--against needs --compare")
        print(compare.report(args.compare.read_text(), args.against.read_text(),
                             str(args.compare), str(args.against)), end="")
        return 0
    old = args.compare.read_text() if args.compare is not None else None

    _set_threads()
    settings = timing.Settings(quick=args.quick, report_dir=args.out.parent,
                               figures=args.out.parent / "benchmarks")
    chosen = [name for name in SECTIONS if not args.section or name in args.section]
    chosen.sort(key=lambda name: name in LAST)  # stable: the others keep their order
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    parts, failed = [], []
    for name in chosen:
        print(f"benchmarks: running section {name!r}", file=sys.stderr)
        try:
            parts.append(SECTIONS[name](settings))
        except Exception as error:  # one broken section must not cost the others' hours
            traceback.print_exc()
            failed.append(name)
            parts.append(f"## {name}\n\nThis section failed in this run: `{type(error).__name__}: "
                         f"{str(error).splitlines()[0] if str(error) else ''}`.\n")
    header = [
        "# Benchmarks",
        "",
        f"Written by `python -m benchmarks{' --quick' if args.quick else ''}` on {started}"
        + (" (quick smoke run: small sizes, not representative)." if args.quick else "."),
        " Regenerate with `python -m benchmarks` from the repository root "
        "(`--section NAME` for one section, `--quick` for a smoke run).",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {what} | {value} |" for what, value in timing.machine()),
        "",
        "Peers, each in its own environment (`benchmarks/setup_peers.sh` builds them and prints "
        "the variables), versions as their interpreters report them:",
        "",
        *peers.table(),
        "",
        "Ratios are written `best× (lo–hi)`: the ratio of the best times, then the range it spans "
        "with the ratio of the median times over the same repeats (the run-to-run spread that "
        "`python -m benchmarks --compare OLD.md` tests against); ratios without a range were "
        "measured once or by a section that records no spread.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(header) + "\n" + "\n".join(parts))
    print(f"benchmarks: wrote {args.out}" + (f"; failed sections: {', '.join(failed)}" if failed else ""),
          file=sys.stderr)
    if old is not None:
        print(compare.report(old, args.out.read_text(), str(args.compare), str(args.out)), end="")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
