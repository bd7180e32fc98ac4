"""A minimal progress bar on stderr: drawn only for a terminal, never when quiet."""

from __future__ import annotations

import sys
import time


class Progress:
    """``Progress(total, quiet, label)``; ``update(n)``; ``close()``."""

    def __init__(self, total: int, *, quiet: bool = False, label: str = "", unit: str = "steps"):
        self.total = max(int(total), 1)
        self.done = 0
        self.label = label
        self.unit = unit
        self.enabled = not quiet and sys.stderr.isatty()
        self.t0 = time.perf_counter()
        self._last = 0.0

    def update(self, n: int = 1) -> None:
        self.done = min(self.done + n, self.total)
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last < 0.1 and self.done < self.total:
            return
        self._last = now
        frac = self.done / self.total
        elapsed = now - self.t0
        eta = elapsed / frac - elapsed if frac > 0 else float("nan")
        bar = "#" * int(30 * frac)
        sys.stderr.write(f"\r{self.label} [{bar:<30}] {self.done}/{self.total} {self.unit} "
                         f"{elapsed:6.1f}s eta {eta:6.1f}s")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()
