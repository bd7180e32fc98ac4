"""The engine section's measured reasons: what the floor and the parts measured
beside an operator come to, and the verdict on the bar, on synthetic timings."""

from __future__ import annotations

from benchmarks.engine import BARS, Case, Floor, _measured_reason, _parts_reach_bar, _unavoidable


def _case(kind: str, replace: bool = False) -> Case:
    return Case("resample: systematic", {}, lambda be, x, g: None, Floor(kind, "floor"),
                parts={"a": lambda: None}, draws_replace_floor=replace)


def test_floor_plus_parts_in_floors():
    row = {"floor": 2.0, "numba": 20.0}
    case = _case("copy")
    assert _unavoidable(row, case, {"a": 3.0, "b": 1.0}) == 3.0  # (2 + 3 + 1) / 2
    assert not _parts_reach_bar(row, case, {"a": 3.0, "b": 1.0})  # 3x is the copy bar, not past it
    assert _parts_reach_bar(row, case, {"a": 3.0, "b": 1.1})
    assert not _parts_reach_bar(row, case, {})  # nothing measured: no claim


def test_draws_in_place_of_the_floor_are_not_counted_twice():
    row = {"floor": 1.0, "numba": 10.0}
    assert _unavoidable(row, _case("random", replace=True), {"exponentials": 1.5}) == 1.5
    assert _unavoidable(row, _case("random"), {"exponentials": 1.5}) == 2.5
    assert BARS["random"] == 2.0


def test_the_reason_names_each_part_and_the_verdict():
    row = {"floor": 1e-3, "numba": 1e-2}
    text = _measured_reason(row, _case("copy"), {"one left-to-right sum of w": 4e-3})
    assert "one left-to-right sum of w 4 ms (4×)" in text
    assert text.endswith("floor + parts 5×, past the bar by themselves")
    assert _measured_reason(row, _case("copy"), {"x": 1e-3}).endswith("floor + parts 2×, within the bar")
