"""``python -m benchmarks [--quick] [--section NAME]... [--out PATH]`` (from the repo root).

Sets numba and torch to one thread (the kernels are single-threaded; this
keeps the comparison fair and the numbers stable on a shared machine), runs the
registered sections and writes the report (default ``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import timing


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
    args = parser.parse_args(argv)

    _set_threads()
    settings = timing.Settings(quick=args.quick)
    chosen = [name for name in SECTIONS if not args.section or name in args.section]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    parts = []
    for name in chosen:
        print(f"benchmarks: running section {name!r}", file=sys.stderr)
        parts.append(SECTIONS[name](settings))
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
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(header) + "\n" + "\n".join(parts))
    print(f"benchmarks: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
