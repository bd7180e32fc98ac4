"""``python -m benchmarks --compare OLD.md``: the ratios that moved between two reports.

A report's ratios are the table cells written ``4.3×`` or, with their
run-to-run spread, ``4.3× (4.1–4.6)`` (:func:`benchmarks.timing.spread_ratio`:
the ratio of best times, then the range to the ratio of median times). Each is
named by its section (the ``##`` heading), its row (the row's leading cells up
to the first numeric one) and its column header. A ratio *moved* when its
ranges in the two reports do not overlap, i.e. it changed by more than its
run-to-run spread; a cell without a spread has a range of one point, so any
change of such a ratio counts, and the listing says that no spread was recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RATIO = re.compile(r"^(\d+(?:\.\d+)?)×(?:\s*\((\d+(?:\.\d+)?)–(\d+(?:\.\d+)?)\))?$")


@dataclass(frozen=True)
class Ratio:
    value: float
    lo: float
    hi: float
    spread: bool  # whether the report gave a range


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _is_numeric(cell: str) -> bool:
    return bool(re.match(r"^[~≈≥≤]?\s*\d", cell)) or cell.startswith("10^")


def parse(text: str) -> dict[tuple[str, str, str], Ratio]:
    """Every ratio cell of a report, keyed by (section, row, column)."""
    out: dict[tuple[str, str, str], Ratio] = {}
    section, header, lines = "", None, text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("## "):
            section, header = line[3:].strip(), None
            continue
        if not line.lstrip().startswith("|"):
            header = None
            continue
        if i + 1 < len(lines) and re.match(r"^\s*\|[\s|:-]+\|\s*$", lines[i + 1]) and header is None:
            header = _cells(line)
            continue
        if header is None or re.match(r"^\s*\|[\s|:-]+\|\s*$", line):
            continue
        cells = _cells(line)
        label = [cells[0]]
        for c in cells[1:]:
            if _is_numeric(c) or RATIO.match(c):
                break
            label.append(c)
        for col, cell in zip(header, cells):
            m = RATIO.match(cell)
            if m:
                v = float(m.group(1))
                lo, hi = (float(m.group(2)), float(m.group(3))) if m.group(2) else (v, v)
                out[(section, " / ".join(label), col)] = Ratio(v, min(lo, v), max(hi, v), bool(m.group(2)))
    return out


def moved(old: dict, new: dict) -> list[tuple[tuple[str, str, str], Ratio, Ratio]]:
    """The ratios in both whose ranges do not overlap."""
    return [(k, old[k], new[k]) for k in old if k in new
            and (new[k].lo > old[k].hi or new[k].hi < old[k].lo)]


def report(old_text: str, new_text: str, old_name: str = "old", new_name: str = "new") -> str:
    """The comparison as text: the moved ratios, then how many were compared."""
    old, new = parse(old_text), parse(new_text)
    rows = moved(old, new)
    lines = [f"Ratios that moved by more than their run-to-run spread ({old_name} → {new_name}):", ""]
    for (sec, row, col), a, b in rows:
        note = "" if a.spread and b.spread else " (no spread recorded)"
        lines.append(f"- {sec} | {row} | {col}: {a.value:g}× → {b.value:g}× "
                     f"({b.value / a.value:.2f} of before){note}")
    if not rows:
        lines.append("- none")
    common = sum(k in new for k in old)
    lines += ["", f"{common} ratios in both reports; {len(old) - common} only in {old_name}, "
              f"{len(new) - common} only in {new_name}."]
    return "\n".join(lines) + "\n"
