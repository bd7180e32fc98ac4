"""``python -m benchmarks --compare OLD.md``: the ratios that moved between two reports.

A report's ratios are the table cells written ``4.3×`` or, with their
run-to-run spread, ``4.3× (4.1–4.6)`` (:func:`benchmarks.timing.spread_ratio`:
the ratio of best times, then the range to the ratio of median times). Each is
named by its section (the ``##`` heading), its row (the row's leading cells up
to the first numeric one, extended until the rows of its table have distinct
names) and its column header. A ratio *moved* when its
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


def _tables(text: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(section, header, rows) of every Markdown table, rows as lists of cells."""
    tables, section, table, lines = [], "", None, text.splitlines()
    rule = re.compile(r"^\s*\|[\s|:-]+\|\s*$")
    for i, line in enumerate(lines):
        if line.startswith("## "):
            section = line[3:].strip()
        if not line.lstrip().startswith("|"):
            table = None
            continue
        if table is None:
            if i + 1 < len(lines) and rule.match(lines[i + 1]):
                table = (section, _cells(line), [])
                tables.append(table)
            continue
        if not rule.match(line):
            table[2].append(_cells(line))
    return tables


def _labels(rows: list[list[str]]) -> list[str]:
    """Each row's name: its leading non-numeric cells, extended cell by cell
    until the names are unique within the table."""
    def prefix(cells):
        k = 1
        while k < len(cells) and not (_is_numeric(cells[k]) or RATIO.match(cells[k])):
            k += 1
        return k

    ks = [prefix(r) for r in rows]
    while True:
        names = [" / ".join(r[:k]) for r, k in zip(rows, ks)]
        clash = {n for n in names if names.count(n) > 1}
        if not clash or all(k >= len(r) - 1 for r, k, n in zip(rows, ks, names) if n in clash):
            return names
        ks = [k + 1 if n in clash and k < len(r) - 1 else k for r, k, n in zip(rows, ks, names)]


def parse(text: str) -> dict[tuple[str, str, str], Ratio]:
    """Every ratio cell of a report, keyed by (section, row, column)."""
    out: dict[tuple[str, str, str], Ratio] = {}
    for section, header, rows in _tables(text):
        for label, cells in zip(_labels(rows), rows):
            for col, cell in zip(header, cells):
                m = RATIO.match(cell)
                if m:
                    v = float(m.group(1))
                    lo, hi = (float(m.group(2)), float(m.group(3))) if m.group(2) else (v, v)
                    out[(section, label, col)] = Ratio(v, min(lo, v), max(hi, v), bool(m.group(2)))
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
