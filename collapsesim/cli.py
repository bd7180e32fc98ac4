"""The ``collapsesim`` command (click). Bad input never gives a traceback: each
problem is one line naming the file, line and key; exit status 1 (set
``COLLAPSESIM_DEBUG=1`` to see tracebacks of unexpected errors)."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from pathlib import Path

import click

from .config import ConfigError, bundled_scenarios, load, option_overrides


def _fail(msg: str, code: int = 1):
    click.echo(msg, err=True)
    sys.exit(code)


def friendly(fn):
    """Turn expected failures into one-line messages and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            _fail(str(exc))
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
            if os.environ.get("COLLAPSESIM_DEBUG"):
                raise
            _fail(f"error: {type(exc).__name__}: {exc}")

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="collapsesim")
def main():
    """Simulate diversity collapse across domains on one engine and one metric."""


@main.command()
@click.argument("scenario", required=False)
@click.option("--out", "out", type=click.Path(), default=None,
              help="Run directory (default: runs/<scenario name>).")
@click.option("--seed", type=int, default=None, help="Override the scenario's seed.")
@click.option("--backend", type=click.Choice(["numpy", "numba", "torch"]), default=None)
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default=None)
@click.option("--steps", type=int, default=None)
@click.option("--replicates", type=int, default=None)
@click.option("--set", "sets", multiple=True, metavar="KEY.PATH=VALUE",
              help="Override any key, e.g. --set params.N=500 (repeatable).")
@click.option("--overwrite", is_flag=True, help="Replace the run already in the output folder.")
@click.option("--checkpoint-every", type=click.IntRange(min=1), default=None, metavar="N",
              help="Checkpoint simulations that support it every N steps (for --resume).")
@click.option("--resume", "resume_dir", type=click.Path(), default=None, metavar="DIR",
              help="Continue the interrupted or killed run in DIR (no SCENARIO then).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary line.")
@friendly
def run(scenario, out, seed, backend, device, steps, replicates, sets, overwrite,
        checkpoint_every, resume_dir, quiet):
    """Run SCENARIO (a YAML path or a bundled scenario's name), or --resume DIR.
    Exit status (docs/reliability.md): 0 done, 1 bad input or output folder,
    3 a replicate diverged, 128 + the signal when stopped by SIGINT (130),
    SIGHUP (129) or SIGTERM (143) -- the records are kept in every case."""
    from .runner import RunFolderError, stop_signals

    with stop_signals() as stop:  # from here on SIGTERM and SIGHUP stop like Ctrl-C
        try:
            result, cfg, out = _run_or_resume(scenario, out, seed, backend, device, steps,
                                              replicates, sets, overwrite, checkpoint_every,
                                              resume_dir, quiet)
        except RunFolderError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            signum = stop.signum or signal.SIGINT
            _fail(f"stopped by {signal.Signals(signum).name} before the run started; "
                  "nothing was recorded", 128 + int(signum))
    s = result.summary
    if not quiet:
        h = s["aggregate"].get(s["headline"], {})
        fin = h.get("final_relative_diversity", {}).get("mean")
        cs = h.get("collapse_step", {})
        click.echo(f"{cfg.name}: {s['status']} in {s['wall_time_s']:.1f}s; headline "
                   f"'{s['headline']}' final relative diversity "
                   f"{'n/a' if fin is None else f'{fin:.3f}'}, collapsed in "
                   f"{cs.get('n', 0)}/{len(s['per_replicate'])} replicates -> {out}")
    if s["status"] != "completed":
        for r in s["per_replicate"]:
            if r["status"] != "completed":
                last = r.get("last_recorded_step")
                kept = "nothing recorded" if last is None else f"recorded up to step {last}"
                click.echo(f"replicate {r['replicate']} {r['status']}: {r['message']} "
                           f"({kept}, kept in {out})", err=True)
        if result.interrupted:
            click.echo(f"continue it with: collapsesim run --resume {out}", err=True)
        sys.exit(128 + int(result.stop_signal) if result.interrupted else 3)


def _run_or_resume(scenario, out, seed, backend, device, steps, replicates, sets, overwrite,
                   checkpoint_every, resume_dir, quiet):
    """The work of ``run``: (result, config, run folder)."""
    from .results import safe_folder_name
    from .runner import execute, resume

    if resume_dir is not None:
        given = [n for n, v in (("SCENARIO", scenario), ("--out", out), ("--seed", seed),
                                ("--backend", backend), ("--device", device), ("--steps", steps),
                                ("--replicates", replicates), ("--set", sets),
                                ("--overwrite", overwrite)) if v]
        if given:
            _fail(f"--resume {resume_dir}: continues the run as recorded; drop {', '.join(given)}")
        result = resume(resume_dir, quiet=quiet, checkpoint_every=checkpoint_every)
        return result, result.config, Path(resume_dir)
    if scenario is None:
        _fail("run: give a SCENARIO (a YAML path or a bundled name) or --resume DIR")
    cfg = load(scenario, option_overrides(sets, cli=True, seed=seed, backend=backend,
                                          device=device, steps=steps, replicates=replicates))
    out = Path(out or Path("runs") / safe_folder_name(cfg.name or cfg.domain))
    return execute(cfg, quiet=quiet, source=scenario, out=out, overwrite=overwrite,
                   checkpoint_every=checkpoint_every), cfg, out


@main.command()
@click.argument("scenarios", nargs=-1, required=True)
@friendly
def validate(scenarios):
    """Check scenario files; print every problem with file, line and key path."""
    bad = 0
    for sc in scenarios:
        try:
            cfg = load(sc)
        except ConfigError as exc:
            bad += 1
            click.echo(str(exc), err=True)
        else:
            click.echo(f"{sc}: ok ({cfg.domain}, {cfg.steps} steps, {cfg.replicates} "
                       f"replicate(s), backend {cfg.backend})")
    sys.exit(1 if bad else 0)


@main.command("list")
@friendly
def list_():
    """Domains and bundled scenarios, one line each."""
    from .registry import available, get_domain

    for name in available():
        d = get_domain(name)
        click.echo(f"domain   {name:<16} {d.description} [headline: {d.headline}; "
                   f"backends: {', '.join(d.backends)}]")
    for name, path in bundled_scenarios().items():
        try:
            cfg = load(path)
            desc = f"{cfg.domain}, {cfg.steps} steps"
        except ConfigError:
            desc = "invalid"
        click.echo(f"scenario {name:<32} {desc}")


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@friendly
def plot(directory):
    """Redraw the figures of a run directory (diversity.png) or a batch directory."""
    import matplotlib.pyplot as plt
    import pandas as pd

    d = Path(directory)
    if (d / "batch.json").is_file():
        from .batching import draw

        if draw(d) is None:
            _fail(f"{d}: the batch has no finished runs yet")
        click.echo(f"wrote {d / 'diversity.png'}")
        return
    from .plotting import plot_run

    for f in ("metrics.parquet", "summary.json"):
        if not (d / f).is_file():
            _fail(f"{d / f}: missing; is {d} a collapsesim run or batch directory?")
    try:
        summary = json.loads((d / "summary.json").read_text())
    except (ValueError, OSError) as exc:
        _fail(f"{d / 'summary.json'}: not a readable run summary ({type(exc).__name__}: {exc})")
    try:
        metrics = pd.read_parquet(d / "metrics.parquet")
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        _fail(f"{d / 'metrics.parquet'}: not a readable metrics table ({type(exc).__name__}: {exc})")
    if not isinstance(summary, dict) or "headline" not in summary:
        _fail(f"{d / 'summary.json'}: not a run summary (no 'headline' key)")
    fig = plot_run(metrics, summary)
    fig.savefig(d / "diversity.png", dpi=110)
    plt.close(fig)
    click.echo(f"wrote {d / 'diversity.png'}")


@main.command()
@click.argument("scenarios", nargs=-1)
@click.option("--out", "out", type=click.Path(file_okay=False), required=True)
@click.option("--replicates", type=int, default=None, help="Replicates of every scenario.")
@click.option("--suite", default=None, help="A bundled suite (e.g. 'collapse') or a suite YAML.")
@click.option("--axis", type=click.Choice(["fraction", "clock"]), default="fraction",
              help="x axis: fraction of each run, or each domain's natural clock.")
@click.option("--overlay", is_flag=True,
              help="All scenarios on one panel instead of one panel per domain.")
@click.option("--set", "sets", multiple=True, metavar="KEY.PATH=VALUE")
@click.option("--quiet", "-q", is_flag=True)
@friendly
def compare(scenarios, out, replicates, suite, axis, overlay, sets, quiet):
    """Run SCENARIOS (and/or a --suite) and compare their headline collapse on one
    axis: small multiples, one panel per domain (--overlay: one panel)."""
    from .comparison import compare as run_compare

    comp = run_compare(scenarios, out, replicates=replicates, suite=suite, sets=sets,
                       quiet=quiet, axis=axis, overlay=overlay)
    single = [e.label for e in comp.entries if comp.results[e.label].summary["replicates"] < 2]
    if single:
        click.echo(f"note: {', '.join(single)}: one replicate, so no confidence intervals; "
                   f"give --replicates 2 or more", err=True)
    if not quiet:
        click.echo((Path(out) / "comparison.md").read_text())
    click.echo(f"wrote {out}/relative_diversity.png, collapse_index.png, comparison.csv, "
               f"comparison.md ({len(comp.entries)} scenarios)")


@main.command()
@click.argument("scenario", required=False)
@click.option("--grid", "grid", multiple=True, metavar="KEY.PATH=V1,V2,...",
              help="A grid axis (repeatable); the batch is their Cartesian product.")
@click.option("--replicates", type=int, default=None)
@click.option("--out", "out", type=click.Path(file_okay=False), default=None)
@click.option("--workers", type=int, default=None, help="Local worker processes (default: CPUs).")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786).")
@click.option("--group", type=int, default=None, help="Replicates per task (default: automatic).")
@click.option("--set", "sets", multiple=True, metavar="KEY.PATH=VALUE")
@click.option("--overwrite", is_flag=True, help="Replace another batch already in --out.")
@click.option("--status", "status_dir", type=click.Path(file_okay=False), default=None,
              help="Report the progress of the batch in this directory and exit.")
@click.option("--quiet", "-q", is_flag=True)
@friendly
def batch(scenario, grid, replicates, out, workers, scheduler, group, sets, overwrite,
          status_dir, quiet):
    """Run SCENARIO over a parameter grid × replicates (resumable: re-run the same
    command, with any --workers or more --replicates, to finish or extend it).
    Exit status: 0 done, 1 bad input or failed runs, 128 + the signal when
    stopped by SIGINT (130), SIGHUP (129) or SIGTERM (143); finished runs are kept."""
    from . import batching as b

    if status_dir:
        st = b.status(status_dir)
        click.echo(f"{st['directory']}: {st['done_runs']}/{st['planned_runs']} runs done, "
                   f"{st['failed_runs']} failed ({st['cells']} cells x {st['replicates']} replicates)")
        for f in st["failures"]:
            click.echo(f"  failed: cell {f['cell']} {f['grid']} replicates {f['replicates']}: "
                       f"{f['error']}")
        return
    if not scenario or not out:
        raise click.UsageError("give SCENARIO and --out (or --status DIR)")
    st = b.batch(scenario, list(grid), out, replicates=replicates, workers=workers,
                 scheduler=scheduler, sets=sets, quiet=quiet, group=group, overwrite=overwrite)
    click.echo(f"{out}: {st['done_runs']}/{st['planned_runs']} runs done, {st['failed_runs']} failed")
    if st["interrupted"]:
        import signal

        click.echo(f"stopped by {signal.Signals(st['interrupted']).name}; finished runs are kept; "
                   f"continue with the same command", err=True)
        sys.exit(128 + int(st["interrupted"]))
    for f in st["failures"]:
        click.echo(f"  failed: cell {f['cell']} {f['grid']} replicates {f['replicates']} "
                   f"(seed {f['seed']}, spawn keys {f['spawn_keys']}): {f['error']}", err=True)
    if st["failed_runs"]:
        sys.exit(1)


@main.command()
@click.argument("domain", required=False)
@click.option("--protocol", "protocol_name", default=None,
              help="Which protocol of the domain (default: its page's main protocol).")
@click.option("--out", "out", type=click.Path(file_okay=False), default="docs/reproductions",
              show_default=True, help="Folder of the page; figures go to OUT/figures.")
@click.option("--seed", type=int, default=None, help="Override the protocol's seed.")
@click.option("--backend", type=click.Choice(["numpy", "numba", "torch"]), default=None)
@click.option("--work", type=click.Path(file_okay=False), default="runs", show_default=True,
              help="Folder for the resumable runs of long protocols (the CEC'2013 suite, the GAN page).")
@click.option("--list", "list_", is_flag=True, help="List every domain's protocols and exit.")
@friendly
def reproduce(domain, protocol_name, out, seed, backend, work, list_):
    """Regenerate DOMAIN's reproduction page (theory and reference tables, figures)."""
    from . import reproductions as rp

    if list_:
        for p in rp.available(domain):
            click.echo(f"{p.domain:<16} {p.name:<20} {'(default) ' if p.default else ''}"
                       f"{p.description}")
        return
    if not domain:
        raise click.UsageError("give DOMAIN (or --list)")
    try:
        page = rp.reproduce(domain, protocol_name, out, seed=seed, backend=backend, work=work)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    except rp.MissingRequirement as exc:
        _fail(f"reproduce {domain}: {exc}", 2)
    click.echo(f"wrote {page}")


_CEC2013_SCORING = (
    "the CEC'2013 niching competition (Li, Engelbrecht & Epitropakis 2013): per problem "
    "F1-F20, the peak ratio PR (optima found / (optima x runs)) and the success rate SR "
    "(fraction of runs that found all optima) at the accuracies 1e-1 ... 1e-5, and the mean "
    "PR over 20 problems x 5 accuracies, the competition's ranking score")


def _cec2013_format_help() -> str:
    """The competition's layout for click's help: prose reflowed, the example line kept."""
    from .problems.scoring import BUNDLED_SUBMISSIONS, SUBMISSION_FORMAT

    paragraphs = [" ".join(p.split()) if not p.startswith(" ") else "\b\n" + p
                  for p in SUBMISSION_FORMAT.split("\n\n")]
    return "\n\n".join(paragraphs + [
        f"SUBMISSION may also name a bundled submission: {', '.join(BUNDLED_SUBMISSIONS)} "
        "(RS-CMSA's 2016 entry, official mean PR 0.854887345679).",
        "\b\nExample: collapsesim score cec2013 rs-cmsa-2016 --out rs-cmsa.csv",
        "Bad input (no such file, no problem files, a malformed line) is one line naming "
        "the file and line, exit status 1."])


@main.group(help="Score an algorithm's output with a benchmark's official procedure.\n\n"
                 f"cec2013: {_CEC2013_SCORING}.\n\n" + _cec2013_format_help())
def score():
    """The ``collapsesim score`` group (its help is the text given above)."""


@score.command("cec2013", short_help="CEC'2013 niching: PR and SR per problem, and the mean PR.",
               help=f"Score SUBMISSION by {_CEC2013_SCORING}.\n\n" + _cec2013_format_help())
@click.argument("submission")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the table as CSV, one row per problem and accuracy.")
@click.option("--reevaluate", is_flag=True,
              help="Evaluate every solution with collapsesim's F1-F20 instead of using the "
                   "fitness recorded after '='.")
@friendly
def score_cec2013(submission, out, reevaluate):
    """Print (and with --out write as CSV) SUBMISSION's CEC'2013 scores."""
    from .problems import cec2013
    from .problems.scoring import ACCURACIES, SubmissionError, resolve_submission, score_submission

    try:
        result = score_submission(resolve_submission(submission), reevaluate=reevaluate)
    except SubmissionError as exc:
        _fail(str(exc))
    table = result.to_frame()
    if out:
        try:
            table.to_csv(out, index=False)
        except OSError as exc:
            _fail(f"{out}: cannot write ({exc.strerror or exc})")
    eps = "".join(f"{a:>7.0e}" for a in ACCURACIES)
    click.echo(f"CEC'2013 niching, official scoring of {submission} "
               f"({'re-evaluated' if reevaluate else 'recorded'} fitness)")
    click.echo(f"{'':24}{'peak ratio at accuracy':^35}  {'success rate at accuracy':^35}".rstrip())
    click.echo(f"{'problem':<8}{'D':>3}{'optima':>7}{'runs':>6}{eps}  {eps}")
    scored = [i for i in range(20) if result.runs[i]]
    for i in scored:
        problem = cec2013(i + 1)
        click.echo(f"{problem.name:<8}{problem.dim:>3}{problem.n_optima:>7}{result.runs[i]:>6}"
                   + "".join(f"{v:7.3f}" for v in result.peak_ratio[i]) + "  "
                   + "".join(f"{v:7.3f}" for v in result.success_rate[i]))
    click.echo(f"{'mean':<24}" + "".join(f"{v:7.3f}" for v in result.peak_ratio[scored].mean(0))
               + "  " + "".join(f"{v:7.3f}" for v in result.success_rate[scored].mean(0)))
    if len(scored) == 20:
        click.echo(f"mean PR (20 problems x 5 accuracies): {result.mean_peak_ratio:.12f}")
    else:
        click.echo(f"mean PR over the {len(scored)} problems scored: "
                   f"{result.peak_ratio[scored].mean():.12f}; the competition's mean, "
                   f"missing problems as 0: {result.mean_peak_ratio:.12f}")
    if out:
        click.echo(f"wrote {out}")


if __name__ == "__main__":  # pragma: no cover
    main()
