"""numpy's PCG64 streams as arrays of states, seeded and drawn in compiled code.

The runner gives replicate ``j`` the generator
``Generator(PCG64(SeedSequence(seed, spawn_key=key_j)))``. Making ``R`` such
Python objects costs ~19 µs each (1.9 s for 10⁵); here the same streams are
held as an ``(R, 4)`` uint64 array ``st`` with row ``r`` = ``[state_hi,
state_lo, inc_hi, inc_lo]`` (the 128-bit LCG state and increment), seeded for
all rows in one compiled call (~5 ms for 10⁵ rows) and advanced in place by
numba functions. Every output is bitwise numpy's (tested against numpy 2.4.6;
numpy >= 2.5 changed BTPE's squeeze, which the tests would catch).

Algorithms, each a port of numpy's own code:

* Seeding, :func:`seed_states` — numpy's ``SeedSequence``
  (numpy/random/bit_generator.pyx, after O'Neill's ``seed_seq_fe``, randutils 2015): the
  run entropy as little-endian uint32 words (``_coerce_to_uint32_array``),
  zero-padded to the pool size 4 when a spawn key is present, followed by one
  word per spawn-key element; ``mix_entropy`` hashes them into a pool of 4
  words (``hashmix`` with INIT_A/MULT_A, ``mix`` with MIX_MULT_L/MIX_MULT_R,
  xorshift 16); ``generate_state(4, uint64)`` draws 8 words from the pool
  (INIT_B/MULT_B), read as 4 little-endian uint64 ``v``. PCG64 then takes
  ``initstate = v0·2⁶⁴ + v1``, ``initseq = v2·2⁶⁴ + v3`` and runs
  ``pcg64_srandom_r``: ``state = 0; inc = 2·initseq + 1; step;
  state += initstate; step``.
* Drawing, :func:`next_uint64` — PCG64 of O'Neill (2014), "PCG: A Family of
  Simple Fast Space-Efficient Statistically Good Algorithms for Random Number
  Generation" (HMC-CS-2014-0905): the 128-bit LCG ``state ← state·M + inc``
  with ``M = 0x2360ed051fc65da44385df649fccf645`` (arithmetic on uint64
  halves), output XSL-RR ``rotr64(hi ^ lo, hi >> 58)`` of the state *after*
  the step (numpy's ``pcg64_random_r``). :func:`next_double` is
  ``(next_uint64 >> 11)·2⁻⁵³`` (``Generator.random``).
* :func:`binomial` — numpy's ``random_binomial`` (distributions.c): the
  smaller of ``p`` and ``1 - p``; inversion when ``n·min(p, 1-p) <= 30``, else
  BTPE (Kachitvichyanukul & Schmeiser 1988) with numpy < 2.5's Stirling
  squeeze. As in numpy, ``p = 1`` returns ``n`` but consumes one double.
* :func:`multinomial_row` — numpy's ``random_multinomial``: conditional
  binomials ``Binomial(n_left, p_j / p_left)``, stopping once nothing is left,
  the last category taking the rest.

:func:`generator_at` and :func:`states_of` convert between rows and numpy
Generators (checkpoints, per-row Python code, tests).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_M32 = np.uint64(0xFFFFFFFF)
_S16 = np.uint64(16)
_S32 = np.uint64(32)
_ZERO = np.uint64(0)
_ONE = np.uint64(1)

# SeedSequence constants (numpy/random/bit_generator.pyx).
_POOL_SIZE = 4
_INIT_A = np.uint64(0x43B0D7E5)
_MULT_A = np.uint64(0x931E8875)
_INIT_B = np.uint64(0x8B51F9DD)
_MULT_B = np.uint64(0x58F38DED)
_MIX_MULT_L = np.uint64(0xCA01F9DD)
_MIX_MULT_R = np.uint64(0x4973F715)

# PCG64 multiplier, 0x2360ed051fc65da44385df649fccf645, in halves.
_MULT_HI = np.uint64(0x2360ED051FC65DA4)
_MULT_LO = np.uint64(0x4385DF649FCCF645)

_TWO_M53 = 1.0 / 9007199254740992.0


def _entropy_words(entropy) -> np.ndarray:
    """numpy's ``_coerce_to_uint32_array`` for a non-negative int: its uint32
    words, least significant first (``[0]`` for 0)."""
    if isinstance(entropy, bool) or not isinstance(entropy, (int, np.integer)):
        raise TypeError(f"entropy must be a non-negative int, got {type(entropy).__name__}")
    n = int(entropy)
    if n < 0:
        raise ValueError(f"entropy must be non-negative, got {n}")
    words = [0] if n == 0 else []
    while n > 0:
        words.append(n & 0xFFFFFFFF)
        n >>= 32
    return np.array(words, dtype=np.uint64)


@njit(cache=True, nogil=True)
def _hashmix(value, hash_const):
    value ^= hash_const
    hash_const = (hash_const * _MULT_A) & _M32
    value = (value * hash_const) & _M32
    value ^= value >> _S16
    return value, hash_const


@njit(cache=True, nogil=True)
def _mix(x, y):
    result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _M32
    return result ^ (result >> _S16)


@njit(cache=True, nogil=True)
def _mulhi(a, b):
    """High 64 bits of the 128-bit product of uint64 ``a`` and ``b``."""
    a_lo = a & _M32
    a_hi = a >> _S32
    b_lo = b & _M32
    b_hi = b >> _S32
    t = a_lo * b_lo
    u = a_hi * b_lo + (t >> _S32)
    w = a_lo * b_hi + (u & _M32)
    return a_hi * b_hi + (u >> _S32) + (w >> _S32)


@njit(cache=True, nogil=True)
def _step(s_hi, s_lo, i_hi, i_lo):
    """One LCG step ``s·M + inc`` mod 2¹²⁸ on halves."""
    hi = _mulhi(s_lo, _MULT_LO) + s_hi * _MULT_LO + s_lo * _MULT_HI
    lo = s_lo * _MULT_LO
    new_lo = lo + i_lo
    carry = _ONE if new_lo < lo else _ZERO
    return hi + i_hi + carry, new_lo


@njit(cache=True, nogil=True)
def _seed_kernel(run_words, spawn_keys, out):
    R, m = spawn_keys.shape
    n_run = run_words.shape[0]
    n_ent = n_run + m
    entropy = np.empty(n_ent, dtype=np.uint64)
    pool = np.empty(_POOL_SIZE, dtype=np.uint64)
    words = np.empty(2 * _POOL_SIZE, dtype=np.uint64)
    for i in range(n_run):
        entropy[i] = run_words[i]
    for r in range(R):
        for i in range(m):
            entropy[n_run + i] = np.uint64(spawn_keys[r, i])
        # mix_entropy
        h = _INIT_A
        for i in range(_POOL_SIZE):
            pool[i], h = _hashmix(entropy[i] if i < n_ent else _ZERO, h)
        for i_src in range(_POOL_SIZE):
            for i_dst in range(_POOL_SIZE):
                if i_src != i_dst:
                    v, h = _hashmix(pool[i_src], h)
                    pool[i_dst] = _mix(pool[i_dst], v)
        for i_src in range(_POOL_SIZE, n_ent):
            for i_dst in range(_POOL_SIZE):
                v, h = _hashmix(entropy[i_src], h)
                pool[i_dst] = _mix(pool[i_dst], v)
        # generate_state(4, uint64)
        h = _INIT_B
        for i in range(2 * _POOL_SIZE):
            d = pool[i % _POOL_SIZE] ^ h
            h = (h * _MULT_B) & _M32
            d = (d * h) & _M32
            words[i] = d ^ (d >> _S16)
        v0 = words[0] | (words[1] << _S32)
        v1 = words[2] | (words[3] << _S32)
        v2 = words[4] | (words[5] << _S32)
        v3 = words[6] | (words[7] << _S32)
        # pcg64_srandom_r(initstate = v0:v1, initseq = v2:v3)
        i_hi = (v2 << _ONE) | (v3 >> np.uint64(63))
        i_lo = (v3 << _ONE) | _ONE
        s_hi, s_lo = _step(_ZERO, _ZERO, i_hi, i_lo)
        s_lo2 = s_lo + v1
        carry = _ONE if s_lo2 < s_lo else _ZERO
        s_hi, s_lo = _step(s_hi + v0 + carry, s_lo2, i_hi, i_lo)
        out[r, 0] = s_hi
        out[r, 1] = s_lo
        out[r, 2] = i_hi
        out[r, 3] = i_lo


def seed_states(entropy: int, spawn_keys) -> np.ndarray:
    """PCG64 states ``(R, 4)`` of ``PCG64(SeedSequence(entropy, spawn_key=tuple(spawn_keys[r])))``.

    ``spawn_keys`` is an ``(R, m)`` integer array, each element in
    ``[0, 2**32)``; ``entropy`` a non-negative int of any size. Row ``r`` is
    ``[state >> 64, state & (2**64 - 1), inc >> 64, inc & (2**64 - 1)]`` of the
    bit generator's ``state["state"]``."""
    keys = np.asarray(spawn_keys)
    if keys.ndim != 2:
        raise ValueError(f"spawn_keys must be an (R, m) array, got shape {keys.shape}")
    if keys.size and keys.dtype.kind not in "iu":
        raise ValueError(f"spawn_keys must hold integers, got dtype {keys.dtype}")
    if keys.size and (int(keys.min()) < 0 or int(keys.max()) >= 2**32):
        raise ValueError("spawn key elements must satisfy 0 <= v < 2**32")
    run = _entropy_words(entropy)
    if keys.shape[1] > 0 and len(run) < _POOL_SIZE:
        run = np.concatenate([run, np.zeros(_POOL_SIZE - len(run), dtype=np.uint64)])
    out = np.empty((keys.shape[0], 4), dtype=np.uint64)
    _seed_kernel(run, np.ascontiguousarray(keys, dtype=np.uint64), out)
    return out


@njit(cache=True, nogil=True)
def next_uint64(st, r):
    """Row ``r``'s next 64-bit output (``PCG64.random_raw``), advancing it."""
    s_hi, s_lo = _step(st[r, 0], st[r, 1], st[r, 2], st[r, 3])
    st[r, 0] = s_hi
    st[r, 1] = s_lo
    x = s_hi ^ s_lo
    rot = s_hi >> np.uint64(58)
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


@njit(cache=True, nogil=True)
def next_double(st, r):
    """Row ``r``'s next uniform double in [0, 1) (``Generator.random()``)."""
    return np.float64(next_uint64(st, r) >> np.uint64(11)) * _TWO_M53


@njit(cache=True, nogil=True)
def _binomial_inversion(st, r, n, p, memo):
    q = 1.0 - p
    if memo[0] == n and memo[1] == p:  # numpy keeps the last (n, p)'s set-up too
        qn, bound = memo[2], memo[3]
    else:
        qn = math.exp(n * math.log(q))
        np_ = n * p
        bound = min(np.float64(n), np_ + 10.0 * math.sqrt(np_ * q + 1))
        memo[0], memo[1], memo[2], memo[3] = n, p, qn, bound
    x = 0
    px = qn
    u = next_double(st, r)
    while u > px:
        x += 1
        if x > bound:
            x = 0
            px = qn
            u = next_double(st, r)
        else:
            u -= px
            px = ((n - x + 1) * p * px) / (x * q)
    return x


@njit(cache=True, nogil=True)
def _binomial_btpe(st, r, n, p):
    """numpy's ``random_binomial_btpe`` for ``p <= 0.5`` (numpy < 2.5 squeeze)."""
    rr = min(p, 1.0 - p)
    q = 1.0 - rr
    fm = n * rr + rr
    m = np.int64(math.floor(fm))
    p1 = math.floor(2.195 * math.sqrt(n * rr * q) - 4.6 * q) + 0.5
    xm = m + 0.5
    xl = xm - p1
    xr = xm + p1
    c = 0.134 + 20.5 / (15.3 + m)
    a = (fm - xl) / (fm - xl * rr)
    laml = a * (1.0 + a / 2.0)
    a = (xr - fm) / (xr * q)
    lamr = a * (1.0 + a / 2.0)
    p2 = p1 * (1.0 + 2.0 * c)
    p3 = p2 + c / laml
    p4 = p3 + c / lamr
    nrq = n * rr * q
    while True:  # Step10: each pass draws (u, v) and accepts or rejects
        u = next_double(st, r) * p4
        v = next_double(st, r)
        if u <= p1:  # triangular region: accepted at once
            return np.int64(math.floor(xm - p1 * v + u))
        if u <= p2:  # parallelograms
            x = xl + (u - p1) / c
            v = v * c + 1.0 - math.fabs(m - x + 0.5) / p1
            if v > 1.0:
                continue
            y = np.int64(math.floor(x))
        elif u <= p3:  # left exponential tail
            y = np.int64(math.floor(xl + math.log(v) / laml))
            if y < 0 or v == 0.0:
                continue
            v = v * (u - p2) * laml
        else:  # right exponential tail
            y = np.int64(math.floor(xr - math.log(v) / lamr))
            if y > n or v == 0.0:
                continue
            v = v * (u - p3) * lamr
        k = abs(y - m)
        if not (k > 20 and k < (nrq / 2.0 - 1)):  # Step50: explicit ratio
            s = rr / q
            a = s * (n + 1)
            f = 1.0
            if m < y:
                for i in range(m + 1, y + 1):
                    f *= (a / i - s)
            elif m > y:
                for i in range(y + 1, m + 1):
                    f /= (a / i - s)
            if v > f:
                continue
            return y
        # Step52: squeeze on log(f)
        rho = (k / nrq) * ((k * (k / 3.0 + 0.625) + 0.16666666666666666) / nrq + 0.5)
        t = -k * k / (2 * nrq)
        big_a = math.log(v)
        if big_a < (t - rho):
            return y
        if big_a > (t + rho):
            continue
        x1 = np.float64(y + 1)
        f1 = np.float64(m + 1)
        z = np.float64(n + 1 - m)
        w = np.float64(n - y + 1)
        x2 = x1 * x1
        f2 = f1 * f1
        z2 = z * z
        w2 = w * w
        if big_a > (xm * math.log(f1 / x1) + (n - m + 0.5) * math.log(z / w)
                    + (y - m) * math.log(w * rr / (x1 * q))
                    + (13680. - (462. - (132. - (99. - 140. / f2) / f2) / f2) / f2) / f1 / 166320.
                    + (13680. - (462. - (132. - (99. - 140. / z2) / z2) / z2) / z2) / z / 166320.
                    + (13680. - (462. - (132. - (99. - 140. / x2) / x2) / x2) / x2) / x1 / 166320.
                    + (13680. - (462. - (132. - (99. - 140. / w2) / w2) / w2) / w2) / w / 166320.):
            continue
        return y


@njit(cache=True, nogil=True)
def _binomial(st, r, n, p, memo):
    """numpy's ``random_binomial`` without argument checks; ``memo`` (4
    floats, from :func:`binomial_memo`) keeps the inversion's set-up for the
    last (n, p), as numpy's ``binomial_t`` does — the same numbers, less work
    when consecutive draws share (n, p)."""
    if n == 0 or p == 0.0:
        return np.int64(0)
    if p <= 0.5:
        if p * n <= 30.0:
            return np.int64(_binomial_inversion(st, r, n, p, memo))
        return _binomial_btpe(st, r, n, p)
    q = 1.0 - p
    if q * n <= 30.0:
        return n - _binomial_inversion(st, r, n, q, memo)
    return n - _binomial_btpe(st, r, n, q)


@njit(cache=True, nogil=True)
def binomial_memo():
    """An empty set-up memo for :func:`_binomial` and :func:`multinomial_row`."""
    return np.full(4, -1.0)


@njit(cache=True, nogil=True)
def binomial(st, r, n, p):
    """Row ``r``'s ``Generator.binomial(n, p)`` (n >= 0, 0 <= p <= 1), advancing it."""
    n = np.int64(n)
    p = np.float64(p)
    if n < 0:
        raise ValueError("n < 0")
    if not (p >= 0.0 and p <= 1.0):
        raise ValueError("p < 0, p > 1 or p is NaN")
    return _binomial(st, r, n, p, binomial_memo())


@njit(cache=True, nogil=True)
def multinomial_row(st, r, n, p, out, memo):
    """Row ``r``'s ``Generator.multinomial(n, p)`` for 1-D ``p`` into int64
    ``out`` (same length), advancing the row; ``memo`` from :func:`binomial_memo`
    (one for a kernel's rows: the set-up is shared, never the draws)."""
    d = p.shape[0]
    n = np.int64(n)
    if n < 0:
        raise ValueError("n < 0")
    if out.shape[0] != d:
        raise ValueError("out must have the length of p")
    for j in range(d):
        if not (p[j] >= 0.0 and p[j] <= 1.0):
            raise ValueError("pvals < 0, pvals > 1 or pvals contains NaNs")
    # numpy's kahan_sum(pvals, d - 1) check
    total = 0.0
    comp = 0.0
    for j in range(d - 1):
        y = p[j] - comp
        t = total + y
        comp = (t - total) - y
        total = t
    if total > 1.0 + 1e-12:
        raise ValueError("sum(pvals[:-1]) > 1.0")
    for j in range(d):
        out[j] = 0
    remaining = 1.0
    dn = n
    for j in range(d - 1):
        out[j] = _binomial(st, r, dn, p[j] / remaining, memo)
        dn -= out[j]
        if dn <= 0:
            break
        remaining -= p[j]
    if dn > 0:
        out[d - 1] = dn


def generator_at(st_row) -> np.random.Generator:
    """A numpy ``Generator`` on a ``PCG64`` whose state is the row ``[state_hi,
    state_lo, inc_hi, inc_lo]`` (no buffered 32-bit half)."""
    row = [int(x) for x in np.asarray(st_row, dtype=np.uint64)]
    if len(row) != 4:
        raise ValueError(f"a PCG64 state row has 4 words, got {len(row)}")
    bg = np.random.PCG64(0)
    bg.state = {"bit_generator": "PCG64",
                "state": {"state": (row[0] << 64) | row[1], "inc": (row[2] << 64) | row[3]},
                "has_uint32": 0, "uinteger": 0}
    return np.random.Generator(bg)


def states_of(generators) -> np.ndarray:
    """The ``(R, 4)`` state rows of PCG64 ``Generator``\\ s (or bit generators).

    A generator holding a buffered 32-bit half (``has_uint32``) has no row that
    continues its stream, and raises ValueError."""
    gens = list(generators)
    out = np.empty((len(gens), 4), dtype=np.uint64)
    mask = (1 << 64) - 1
    for i, g in enumerate(gens):
        bg = getattr(g, "bit_generator", g)
        s = bg.state
        if s["bit_generator"] != "PCG64":
            raise ValueError(f"generator {i} is {s['bit_generator']}, not PCG64")
        if s["has_uint32"]:
            raise ValueError(f"generator {i} holds a buffered 32-bit output; its stream is not a state row")
        st, inc = s["state"]["state"], s["state"]["inc"]
        out[i] = (st >> 64, st & mask, inc >> 64, inc & mask)
    return out
