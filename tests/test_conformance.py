"""The conformance suite over the registry: one test id per (registered domain
× named check) and (domain × backend × named check), generated at collection
time from ``registry.available()`` — a new domain, built in or a plugin, is
checked without writing a test. CUDA cases carry the ``cuda`` marker."""

from __future__ import annotations

import pytest
import torch

from collapsesim.testing import conformance_cases, run_check


def _params():
    for case in conformance_cases():
        marks = []
        if case.device == "cuda":
            marks = [pytest.mark.cuda,
                     pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]
        yield pytest.param(case, id=str(case), marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_conformance(case):
    run_check(case)
