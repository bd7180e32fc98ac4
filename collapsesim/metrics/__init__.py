"""The shared diversity metric (docs/metric.md): Hill numbers, relative
diversity, collapse index, coverage, the Vendi score and run summaries."""

from .diversity import (
    SHARED_METRICS,
    counts_rows,
    diversity,
    diversity_rows,
    reference_d1,
)
from .hill import NAMED_ORDERS, hill_number, hill_numbers, hill_profile
from .summary import area_under_curve, collapse_step, summarize_blocks, summarize_series
from .vendi import vendi, vendi_from_similarity

__all__ = [
    "SHARED_METRICS", "NAMED_ORDERS", "counts_rows", "diversity", "diversity_rows", "reference_d1", "hill_number",
    "hill_numbers", "hill_profile", "area_under_curve", "collapse_step", "summarize_blocks", "summarize_series", "vendi",
    "vendi_from_similarity",
]
