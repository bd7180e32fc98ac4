"""``python -m benchmarks [--quick] [--section NAME]... [--out PATH] [--compare [OLD.md]]`` (from the repo root).

Sets numba and torch to one thread (the kernels are single-threaded; this
keeps the comparison fair and the numbers stable on a shared machine), runs the
registered sections and writes the report (default ``docs/benchmarks.md``) with
its figures in ``benchmarks/`` beside it. Each section runs in a fresh
interpreter of its own (as pyperf runs each benchmark), so that its timings do
not depend on the heap, the garbage and the warm caches the sections before it
left behind: in one process, a GA generation at N = 10^5 measured 0.57–0.80 s
after the engine and particle-filter sections against 0.33 s alone. The
scaling and memory sections run last, in this process, on the points the
others recorded. Peers run under the interpreters named
by the variables ``benchmarks/setup_peers.sh`` prints. ``--compare OLD.md``
(default: the committed ``docs/benchmarks.md``, read before it is overwritten)
then lists the ratios that moved by more than their run-to-run spread;
``--against NEW.md`` compares two existing reports without running anything.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import compare, peers, scaling, timing

LAST = ("scaling", "memory")  # they report on the points the other sections recorded


def _set_threads() -> None:
    import numba
    import torch

    numba.set_num_threads(timing.THREADS)
    torch.set_num_threads(timing.THREADS)


class SectionFailed(Exception):
    """A section's own process failed; the message is its error, as it printed it."""


def _section_alone(name: str, args: argparse.Namespace) -> str:
    """Section ``name``'s Markdown, run in a fresh interpreter (``--one-section``);
    the scaling points it recorded are recorded here too."""
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "section.json"
        command = [sys.executable, "-m", "benchmarks", "--one-section", name, "--dump", str(dump),
                   "--out", str(args.out)] + (["--quick"] if args.quick else [])
        status = subprocess.run(command, check=False).returncode
        if not dump.is_file():
            raise SectionFailed(f"its process exited with status {status} and wrote nothing")
        done = json.loads(dump.read_text())
    for domain, series, n, seconds, theory in done["points"]:
        scaling.record(domain, series, n, seconds, theory)
    if done["error"] is not None:
        raise SectionFailed(done["error"])
    return done["markdown"]


def _one_section(name: str, settings: timing.Settings, dump: Path) -> int:
    """Run one section in this process (the child of :func:`_section_alone`) and
    dump its Markdown, its scaling points and its error, if any, as JSON."""
    from . import SECTIONS

    markdown, error = None, None
    try:
        markdown = SECTIONS[name](settings)
    except Exception as exc:  # noqa: BLE001 - reported by the parent as the section's failure
        traceback.print_exc()
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    points = [[domain, series, n, seconds, scaling.THEORY[(domain, series)]]
              for domain, by_series in scaling.POINTS.items()
              for series, pts in by_series.items() for n, seconds in pts]
    dump.write_text(json.dumps({"markdown": markdown, "error": error, "points": points}))
    return 0 if error is None else 1


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
    parser.add_argument("--one-section", choices=sorted(SECTIONS), help=argparse.SUPPRESS)
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)  # with --one-section
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
    if args.one_section is not None:
        return _one_section(args.one_section, settings, args.dump)
    chosen = [name for name in SECTIONS if not args.section or name in args.section]
    chosen.sort(key=lambda name: name in LAST)  # stable: the others keep their order
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    parts, failed = [], []
    for name in chosen:
        print(f"benchmarks: running section {name!r}", file=sys.stderr)
        try:
            parts.append(SECTIONS[name](settings) if name in LAST else _section_alone(name, args))
        except Exception as error:  # noqa: BLE001 - one broken section must not cost the others' hours
            failed.append(name)
            if isinstance(error, SectionFailed):
                text = str(error)
            else:
                traceback.print_exc()
                text = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            parts.append(f"## {name}\n\nThis section failed in this run: `{text}`.\n")
    header = [
        "# Benchmarks",
        "",
        f"Written by `python -m benchmarks{' --quick' if args.quick else ''}` on {started}"
        + (" (quick smoke run: small sizes, not representative)." if args.quick else "."),
        " Regenerate with `python -m benchmarks` from the repository root "
        "(`--section NAME` for one section, `--quick` for a smoke run). Each section runs in a "
        "fresh Python process of its own, so that none is timed on the heap and garbage of the "
        "sections before it; scaling and memory run last, on the points the others recorded.",
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
