"""Run a method over the CEC'2013 niching suite and score it officially.

    python -m collapsesim.domains.ga.cec2013 --method nbc-cma --runs 50 --out runs/cec2013

Each (problem, run) is one replicate of the ``ga`` domain with the problem's
official MaxFEs (``max_fes: official``), seeded from
``SeedSequence(seed, spawn_key=(problem, run))`` — any run can be repeated
alone — and run to the end of its budget in a process pool. Its final solution
set (for ``nbc-cma`` the archive of optima found plus the running instances'
best points; for a GA its last population) is scored by the official procedure
(:mod:`collapsesim.problems.scoring`). Results are appended to
``OUT/runs.jsonl`` as they finish (re-running skips the runs already there),
and ``OUT/table.md`` / ``OUT/summary.json`` give PR and SR per problem and
accuracy, the mean PR over the problems × 5 accuracies, and the published
values beside them.

``--runs`` may differ per problem (``--runs 10 --runs 18-20:3``: three runs of
F18–F20, ten of the others) to fit a CPU budget; the table states the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from ...problems import ACCURACIES, cec2013
from ...problems.scoring import count_optima, peak_ratio, success_rate

# The organisers' mean PR over the 20 problems × 5 accuracies (official-mean-PR-2016-2019.csv).
PUBLISHED_MEAN_PR = {"HillVallEA19": 0.892, "RS-CMSA": 0.855, "NMMSO": 0.825, "NEA2": 0.746,
                     "CMA": 0.668, "IPOP-CMA-ES": 0.352}
# Published PR at ε = 1e-4 per problem (NEA2, dADE/nrand/2, NMMSO, RS-CMSA, IPOP-CMA-ES).
PUBLISHED_COLUMNS = ("NEA2", "dADE/nrand/2", "NMMSO", "RS-CMSA", "IPOP-CMA")
PUBLISHED_PR_1E4 = {
    6: (0.950, 0.833, 0.992, 0.999, 0.090), 7: (0.914, 0.757, 1.000, 0.998, 0.111),
    8: (0.240, 0.660, 0.899, 0.875, 0.020), 9: (0.581, 0.335, 0.978, 0.734, 0.027),
    12: (0.840, 0.710, 0.993, 0.948, 0.300), 15: (0.718, 0.483, 0.632, 0.745, 0.178),
    20: (0.360, 0.000, 0.172, 0.468, 0.128),
}
METHODS = {
    "nbc-cma": {"method": "nbc-cma"},
    "crowding": {"N": 500, "replacement": "crowding", "crossover": "sbx",
                 "mutation": {"kind": "polynomial", "eta": 20.0}},
    "tournament": {"N": 500, "selection": {"kind": "tournament", "k": 2}, "crossover": "sbx",
                   "mutation": {"kind": "polynomial", "eta": 20.0}},
}


def run_one(method: str, problem: int, run: int, seed: int) -> dict:
    """One run of ``method`` on F``problem``: the official counts at every accuracy."""
    from ...config import load
    from ...engine import get_backend
    from ...registry import get_domain

    t0 = time.process_time()
    cfg = load({"domain": "ga", "steps": 10**9, "backend": "numpy",
                "params": {"problem": f"F{problem}", "max_fes": "official", **METHODS[method]}})
    domain = get_domain("ga")()
    sim = domain.build(cfg.params, backend=get_backend("numpy"),
                       seeds=[np.random.SeedSequence(seed, spawn_key=(problem, run))], steps=cfg.steps)
    while not sim.finished:
        sim.step()
    x, f = sim.solutions() if hasattr(sim, "solutions") else (sim.x, sim.f)
    p = cec2013(problem)
    x = np.asarray(x).reshape(-1, p.dim)
    f = np.asarray(f).reshape(-1)
    counts = count_optima(x, f, p.f_opt, p.n_optima, p.rho)
    return {"method": method, "problem": problem, "run": run, "seed": seed,
            "counts": counts.tolist(), "evaluations": int(sim.evaluations),
            "solutions": int(len(f)), "cpu_s": time.process_time() - t0}


def parse_runs(specs: list[str]) -> dict[int, int]:
    """``["10", "18-20:3"]`` → runs per problem (the bare number for all, then overrides)."""
    runs = {p: 0 for p in range(1, 21)}
    for spec in specs:
        if ":" in spec:
            rng, n = spec.split(":")
            lo, _, hi = rng.partition("-")
            for p in range(int(lo), int(hi or lo) + 1):
                runs[p] = int(n)
        else:
            runs = {p: int(spec) for p in runs}
    return runs


def load_results(path: Path, method: str) -> list[dict]:
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in rows if r["method"] == method]


def summarise(rows: list[dict]) -> dict:
    """PR and SR per problem and accuracy, and the mean PR over the problems present."""
    out = {"problems": {}, "accuracies": list(ACCURACIES)}
    for p in range(1, 21):
        counts = [r["counts"] for r in rows if r["problem"] == p]
        if not counts:
            continue
        n_opt = cec2013(p).n_optima
        out["problems"][p] = {
            "runs": len(counts), "max_fes": cec2013(p).max_fes,
            "peak_ratio": peak_ratio(np.array(counts), n_opt).tolist(),
            "success_rate": success_rate(np.array(counts), n_opt).tolist(),
            "cpu_s": float(np.mean([r["cpu_s"] for r in rows if r["problem"] == p])),
        }
    prs = [v["peak_ratio"] for v in out["problems"].values()]
    out["mean_peak_ratio"] = float(np.mean(prs)) if prs else None
    out["complete"] = len(out["problems"]) == 20
    return out


def table(summary: dict, method: str) -> str:
    """Markdown: PR/SR per problem and accuracy, then published comparisons."""
    acc = [f"{e:.0e}".replace("e-0", "e-") for e in ACCURACIES]
    lines = [f"### {method}: peak ratio (PR) and success rate (SR)", "",
             "| F | D | optima | MaxFEs | runs | " + " | ".join(f"PR {a}" for a in acc)
             + " | " + " | ".join(f"SR {a}" for a in acc) + " |",
             "|---" * (5 + 2 * len(acc)) + "|"]
    for p, v in summary["problems"].items():
        prob = cec2013(int(p))
        lines.append(f"| F{p} | {prob.dim} | {prob.n_optima} | {v['max_fes']:,} | {v['runs']} | "
                     + " | ".join(f"{x:.3f}" for x in v["peak_ratio"]) + " | "
                     + " | ".join(f"{x:.2f}" for x in v["success_rate"]) + " |")
    mean = summary["mean_peak_ratio"]
    scope = "20 problems" if summary["complete"] else f"{len(summary['problems'])} problems"
    lines += ["", f"Mean PR over {scope} × 5 accuracies: **{mean:.3f}**" if mean is not None else "", "",
              "| method | mean PR (20 × 5) |", "|---|---|",
              f"| {method} (this run) | {mean:.3f} |" if mean is not None else ""]
    lines += [f"| {k} (published) | {v:.3f} |" for k, v in PUBLISHED_MEAN_PR.items()]
    lines += ["", "PR at ε = 1e-4 beside published values:", "",
              f"| F | {method} | " + " | ".join(PUBLISHED_COLUMNS) + " |",
              "|---" * (2 + len(PUBLISHED_COLUMNS)) + "|"]
    for p in sorted(PUBLISHED_PR_1E4):
        v = summary["problems"].get(p)
        ours = f"{v['peak_ratio'][3]:.3f}" if v else "—"
        lines.append(f"| F{p} | {ours} | " + " | ".join(f"{x:.3f}" for x in PUBLISHED_PR_1E4[p]) + " |")
    lines += ["", "(On F1–F5 and F10 the strong methods reach PR 1.0.)"]
    return "\n".join(lines) + "\n"


def _results(todo: list[tuple[int, int]], args):
    """Run results as they finish: in a process pool, or in this process for one worker."""
    if args.workers <= 1:
        for p, r in todo:
            yield run_one(args.method, p, r, args.seed)
        return
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(run_one, args.method, p, r, args.seed) for p, r in todo]
        for fut in as_completed(futures):
            yield fut.result()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m collapsesim.domains.ga.cec2013",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--method", choices=sorted(METHODS), default="nbc-cma")
    ap.add_argument("--runs", action="append", default=None,
                    help="runs per problem: N, or P-Q:N for problems P..Q (repeatable)")
    ap.add_argument("--problems", default="1-20", help="problems, e.g. 1-20 or 6,7")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--seed", type=int, default=2013)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)

    wanted = set()
    for part in args.problems.split(","):
        lo, _, hi = part.partition("-")
        wanted |= set(range(int(lo), int(hi or lo) + 1))
    runs = parse_runs(args.runs or ["50"])
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "runs.jsonl"
    done = {(r["problem"], r["run"]) for r in load_results(log, args.method) if r["seed"] == args.seed}
    todo = [(p, r) for p in sorted(wanted) for r in range(runs[p]) if (p, r) not in done]
    todo.sort(key=lambda t: -cec2013(t[0]).max_fes * cec2013(t[0]).dim)  # long runs first
    print(f"{len(todo)} runs to do ({len(done)} already in {log})", file=sys.stderr)
    with log.open("a") as out:
        for row in _results(todo, args):
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(f"F{row['problem']} run {row['run']}: {row['counts']} ({row['cpu_s']:.1f} s)", file=sys.stderr)
    rows = [r for r in load_results(log, args.method) if r["seed"] == args.seed
            and r["problem"] in wanted and r["run"] < runs[r["problem"]]]
    summary = summarise(rows)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    (args.out / "table.md").write_text(table(summary, args.method))
    print(table(summary, args.method))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
