"""Test helpers users and plugin authors can import: the domain conformance
suite, whole (:func:`check_domain`) or as one case per named check
(:func:`conformance_cases`, :func:`run_check`)."""

from .check_domain import (
    BACKEND_CHECKS,
    DOMAIN_CHECKS,
    Case,
    ConformanceError,
    check_domain,
    conformance_cases,
    run_check,
)

__all__ = ["BACKEND_CHECKS", "DOMAIN_CHECKS", "Case", "ConformanceError", "check_domain",
           "conformance_cases", "run_check"]
