"""Karlin–Altschul and Spouge E-values against BLAST+ itself."""

import math
import re
import shutil
import subprocess

import numpy as np
import pytest

from collapsesim.domains.psiblast import matrices as M
from collapsesim.domains.psiblast import theory as T

needs_blast = pytest.mark.skipif(shutil.which("blastp") is None or shutil.which("makeblastdb") is None,
                                 reason="BLAST+ (blastp, makeblastdb) not installed")


def test_constants_are_blast_blosum62():
    assert T.GAPPED == (0.267, 0.041) and T.UNGAPPED == (0.3176, 0.134)
    assert T.LENGTH_ADJUST["gapped"] == (1.9 / 0.267, -30.0)
    assert T.LENGTH_ADJUST["ungapped"][0] == pytest.approx(1 / T.ENTROPY["ungapped"], rel=1e-3)


def test_evalue_monotone_and_inverse():
    lam, K = T.GAPPED
    s = np.arange(0, 300)
    e = T.evalue(s, 200, 10**6, 5000, lam=lam, K=K)
    assert (np.diff(e) < 0).all()
    assert e[1] / e[0] == pytest.approx(math.exp(-lam))
    for target in (1e-30, 0.002, 10.0):
        S = T.score_for_evalue(target, 200, 10**6, 5000, lam=lam, K=K)
        assert T.evalue(S, 200, 10**6, 5000, lam=lam, K=K) == pytest.approx(target, rel=1e-12)
        assert T.evalue(math.ceil(S), 200, 10**6, 5000, lam=lam, K=K) <= target
        assert T.evalue(math.ceil(S) - 1, 200, 10**6, 5000, lam=lam, K=K) > target
    # without length adjustment the search space is m·n
    assert T.evalue(0, 200, 10**6, 5000, lam=lam, K=K, length_adjust=False) == pytest.approx(K * 2e8)
    assert T.bit_score(0, lam=lam, K=K) == pytest.approx(-math.log2(K))
    # Spouge's E-value is monotone in the score and shrinks for longer subjects per residue of db
    sp = T.spouge_evalue(s[20:], 200, np.full(280, 300), 10**6)
    assert (np.diff(sp) < 0).all()


def test_length_adjustment_fixed_point():
    # ℓ = floor of the fixed point of f(ℓ) = (α/λ)(ln K + ln((m-ℓ)(n-Nℓ))) + β
    adl, beta = T.LENGTH_ADJUST["gapped"]
    for m, n, N in ((150, 49030, 201), (300, 10**7, 30000), (50, 2 * 10**5, 1000)):
        ell = T.length_adjustment(m, n, N, K=0.041, alpha_d_lambda=adl, beta=beta)
        def f(x, m=m, n=n, N=N):
            return adl * (math.log(0.041) + math.log((m - x) * (n - N * x))) + beta

        assert f(ell) >= ell
        if m > 100:
            assert f(ell + 1) < ell + 1
        else:  # short query: capped where K (m-ℓ)(n-Nℓ) stops exceeding max(m, n)
            assert 0.041 * (m - ell) * (n - N * ell) > n >= 0.041 * (m - ell - 1) * (n - N * (ell + 1))
    # a search space too small for any chance alignment: no adjustment
    assert T.length_adjustment(5, 10, 1, K=0.041, alpha_d_lambda=adl, beta=beta) == 0


def _random_db(tmp_path, seed=1):
    rng = np.random.default_rng(seed)
    letters = np.array(list(M.ALPHABET))

    def seq(n):
        return "".join(rng.choice(letters, n, p=M.BACKGROUND))

    q = seq(150)
    s = [c if rng.random() > 0.55 else rng.choice(letters) for c in q]
    hom = "".join(s[:70] + s[74:])
    (tmp_path / "q.fa").write_text(f">q\n{q}\n")
    with open(tmp_path / "db.fa", "w") as f:
        f.write(f">hom\n{hom}\n")
        f.writelines(f">r{k}\n{seq(int(rng.integers(80, 400)))}\n" for k in range(200))
    subprocess.run(["makeblastdb", "-in", str(tmp_path / "db.fa"), "-dbtype", "prot",
                    "-out", str(tmp_path / "db")], check=True, capture_output=True)
    fasta = (tmp_path / "db.fa").read_text().split(">")[1:]
    n_res = sum(len("".join(r.splitlines()[1:])) for r in fasta)
    return len(q), n_res, len(fasta)


def _printed_tolerance(text):
    """Half a unit of the last printed digit of BLAST's E-value."""
    mant, _, exp = text.partition("e")
    decimals = len(mant.partition(".")[2])
    return 0.5 * 10.0 ** (-decimals) * 10.0 ** (int(exp) if exp else 0)


@needs_blast
def test_gapped_evalues_match_blastp(tmp_path):
    m, n, N = _random_db(tmp_path)
    base = ["blastp", "-query", str(tmp_path / "q.fa"), "-db", str(tmp_path / "db"),
            "-comp_based_stats", "0", "-evalue", "1000", "-max_hsps", "1"]
    out = subprocess.run(base + ["-outfmt", "6 sseqid score evalue slen"], check=True,
                         capture_output=True, text=True).stdout.split("\n")
    rows = [r.split("\t") for r in out if r]
    assert len(rows) >= 5
    lam, K = T.GAPPED
    for _, score, ev, slen in rows:
        ours = float(T.evalue(int(score), m, n, N, lam=lam, K=K, subject_lengths=int(slen)))
        assert abs(ours - float(ev)) <= _printed_tolerance(ev) * 1.0001, (score, ev, ours)
    # the length-adjusted search space BLAST prints
    text = subprocess.run(base, check=True, capture_output=True, text=True).stdout
    space = int(re.search(r"Effective search space used: (\d+)", text).group(1))
    assert T.search_space(m, n, N, K=K) == space
    # ungapped: BLAST uses the query's own λ, K (printed rounded); the length
    # adjustment with the table's α, β reproduces its search space exactly
    text = subprocess.run(base + ["-ungapped"], check=True, capture_output=True, text=True).stdout
    space = int(re.search(r"Effective search space used: (\d+)", text).group(1))
    lam_u, K_u = (float(x) for x in re.search(r"Lambda\s+K\s+H\s*\n\s*(\S+)\s+(\S+)", text).groups())
    ell = T.length_adjustment(m, n, N, K=K_u, alpha_d_lambda=0.7916 / lam_u, beta=-3.2)
    assert (m - ell) * (n - N * ell) == space
