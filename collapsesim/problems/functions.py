"""The basic functions of the CEC'2013 niching suite (F1–F10) and Goldberg's
M1–M4, vectorised over leading axes and written once for numpy and torch.

Formulas as in Li, Engelbrecht & Epitropakis (2013), *Benchmark functions for
CEC'2013 special session and competition on niching methods for multimodal
function optimization*, and its official implementation; every function is
maximised. ``x`` is float64 ``(..., D)``; ``xp`` is ``numpy`` or ``torch``.
"""

from __future__ import annotations

import math

import numpy as np

from .base import constant


def five_uneven_peak_trap(x, xp):
    """F1 on [0, 30]: piecewise linear, global maxima 200 at x = 0 and x = 30."""
    x = x[..., 0]
    pieces = [  # (upper end of the piece, slope, anchor): value = slope·(x − anchor)
        (2.5, -80.0, 2.5), (5.0, 64.0, 2.5), (7.5, -64.0, 7.5), (12.5, 28.0, 7.5),
        (17.5, -28.0, 17.5), (22.5, 32.0, 17.5), (27.5, -32.0, 27.5),
    ]
    out = 80.0 * (x - 27.5)
    for end, slope, anchor in reversed(pieces):
        out = xp.where(x < end, slope * (x - anchor), out)
    return out


def equal_maxima(x, xp):
    """F2 (Goldberg's M1) on [0, 1]: sin⁶(5πx), five equal maxima at 0.1, 0.3, …, 0.9."""
    return xp.sin(5.0 * math.pi * x[..., 0]) ** 6


def uneven_decreasing_maxima(x, xp):
    """F3 (Goldberg's M4) on [0, 1]: exp(−2 ln2 ((x − 0.08)/0.854)²)·sin⁶(5π(x^¾ − 0.05))."""
    x = x[..., 0]
    return (xp.exp(-2.0 * math.log(2.0) * ((x - 0.08) / 0.854) ** 2)
            * xp.sin(5.0 * math.pi * (x ** 0.75 - 0.05)) ** 6)


def decreasing_maxima(x, xp):
    """Goldberg's M2 on [0, 1]: exp(−2 ln2 ((x − 0.1)/0.8)²)·sin⁶(5πx), peaks decreasing from 0.1."""
    x = x[..., 0]
    return xp.exp(-2.0 * math.log(2.0) * ((x - 0.1) / 0.8) ** 2) * xp.sin(5.0 * math.pi * x) ** 6


def uneven_maxima(x, xp):
    """Goldberg's M3 on [0, 1]: sin⁶(5π(x^¾ − 0.05)), five equal, unevenly spaced maxima."""
    return xp.sin(5.0 * math.pi * (x[..., 0] ** 0.75 - 0.05)) ** 6


def himmelblau(x, xp):
    """F4 on [−6, 6]²: 200 − (x² + y − 11)² − (x + y² − 7)², four global maxima of 200."""
    a, b = x[..., 0], x[..., 1]
    return 200.0 - (a * a + b - 11.0) ** 2 - (a + b * b - 7.0) ** 2


def six_hump_camel_back(x, xp):
    """F5 on [−1.9, 1.9]×[−1.1, 1.1]: −((4 − 2.1x² + x⁴/3)x² + xy + (4y² − 4)y²)."""
    a, b = x[..., 0], x[..., 1]
    a2, b2 = a * a, b * b
    return -((4.0 - 2.1 * a2 + a2 * a2 / 3.0) * a2 + a * b + (4.0 * b2 - 4.0) * b2)


def shubert_factor(x, xp):
    """Σ_{j=1..5} j·cos((j+1)x + j), elementwise."""
    j = constant(x, np.arange(1.0, 6.0))
    return (j * xp.cos((j + 1.0) * x[..., None] + j)).sum(-1)


def shubert(x, xp):
    """F6 (D = 2) and F8 (D = 3) on [−10, 10]^D: −Π_i Σ_j j·cos((j+1)x_i + j); D·3^D global maxima."""
    return -shubert_factor(x, xp).prod(-1)


def vincent(x, xp):
    """F7 (D = 2) and F9 (D = 3) on [0.25, 10]^D: mean of sin(10 ln x_i); 6^D global maxima of 1."""
    return xp.sin(10.0 * xp.log(x)).mean(-1)


def modified_rastrigin(x, xp):
    """F10 on [0, 1]²: −Σ (10 + 9 cos(2π k_i x_i)), k = (3, 4); twelve global maxima of −2."""
    k = constant(x, [3.0, 4.0])
    return -(10.0 + 9.0 * xp.cos(2.0 * math.pi * k * x)).sum(-1)


def rastrigin(x, xp):
    """Rastrigin on [−5.12, 5.12]^D, maximised: −(10D + Σ (x_i² − 10 cos 2πx_i)); maximum 0 at 0."""
    return -(x * x - 10.0 * xp.cos(2.0 * math.pi * x) + 10.0).sum(-1)
