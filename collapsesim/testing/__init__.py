"""Test helpers users and plugin authors can import: the domain conformance suite."""

from .check_domain import check_domain

__all__ = ["check_domain"]
