"""Analyse a batch directory three ways: pandas, pyarrow.dataset and DuckDB.

    collapsesim batch drift_neutral --grid params.N=100,300,1000 --replicates 8 --out runs/nbatch
    python examples/analyse_batch.py runs/nbatch

Neutral Wright–Fisher drift loses heterozygosity as (1 − 1/N)^t, so the time to
collapse should grow linearly with N: the script prints the mean collapse step
per N and its ratio to N.
"""

import sys
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

out = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/nbatch")
files = sorted(str(p) for p in out.glob("cells/*/*.parquet"))

# 1. pandas: every file into one tidy frame
df = pd.concat((pd.read_parquet(f) for f in files), ignore_index=True)
print(df.groupby("params.N")["run_id"].nunique().rename("runs"))

# 2. pyarrow.dataset: filter before loading (only the headline's relative diversity)
table = ds.dataset(files, format="parquet").to_table(
    filter=(ds.field("series") == "types") & (ds.field("metric") == "relative_diversity"))
rd = table.to_pandas()
final = rd.sort_values("step").groupby(["params.N", "run_id"])["value"].last()
print(final.groupby("params.N").agg(["mean", "sem"]).rename(columns={"mean": "final rel. div."}))

# 3. DuckDB (optional: pip install duckdb) straight from the files
try:
    import duckdb
except ImportError:
    print("duckdb not installed; skipping the SQL example")
else:
    print(duckdb.sql(f"""
        SELECT "params.N" AS N, count(DISTINCT run_id) AS runs, avg(value) AS mean_D1_at_step_0
        FROM read_parquet({files!r}, union_by_name = true)
        WHERE series = 'types' AND metric = 'D1' AND step = 0
        GROUP BY N ORDER BY N""").df())

# The per-cell summary the batch wrote
summary = pd.read_csv(out / "summary.csv")
summary["collapse_step / N"] = summary["collapse_step"] / summary["params.N"]
print(summary[["params.N", "replicates", "collapsed", "collapse_step", "collapse_step / N"]])
