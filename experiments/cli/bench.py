"""`actlocally bench` and `bench-batch`: speed and memory, measured (never in timed tests)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from actlocally.experiments.cli.common import console
from rich.table import Table


def bench(
    pupils: Annotated[int, typer.Option(min=1000, help="pupils in the benchmark population")] = 100_000,
    reference_sample: Annotated[int, typer.Option(min=100, help="children stepped by the per-agent reference")] = 2000,
    repeats: Annotated[int, typer.Option(min=1, help="time each part this many times; report the best")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object instead of a table")] = False,
    scale: Annotated[str, typer.Option(help="'district' (a district year against the reference) or 'england' "
                                       "(a year of England's localities on the executor)")] = "district",
    workers: Annotated[int | None, typer.Option(min=1, help="with --scale england: LocalCluster workers "
                                                "(default: the cores)")] = None,
    scheduler: Annotated[str | None, typer.Option(help="with --scale england: a Dask scheduler address")] = None,
) -> None:
    """Time a district-sized year against a plain per-agent Mesa reference of the same daily step.

    With `--scale england`: time a year of England (~9M pupils, ~150 localities) as `actlocally run
    scenarios/baseline_england.toml` runs it, with the process tree's peak memory and the machine's load.
    """
    if scale not in ("district", "england"):
        from actlocally.experiments.cli.common import fail
        from actlocally.model.errors import InputError

        fail(InputError(None, "--scale", f"'{scale}' is not a scale; allowed: district, england"))
    if scale == "england":
        from actlocally.experiments.bench.england import run_england_benchmark

        figures = run_england_benchmark(workers=workers, scheduler=scheduler)
        if as_json:
            sys.stdout.write(json.dumps(figures) + "\n")
            return
        table = Table(title="actlocally bench --scale england")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for k, v in figures.items():
            table.add_row(k, f"{v:,.2f}" if isinstance(v, float) else str(v))
        console.print(table)
        return
    from actlocally.experiments.bench.district import run_benchmark

    figures = run_benchmark(pupils=pupils, reference_sample=reference_sample, repeats=repeats)
    if as_json:
        sys.stdout.write(json.dumps(figures) + "\n")
        return
    table = Table(title=f"actlocally bench ({figures['threads']} threads; *_one_thread: one)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    targets = {"run_s_one_thread": "<= 2 s (aim 0.5)", "speedup_vs_reference": ">= 100x (aim 300x)",
               "bytes_per_child": "<= 200", "agents_s": "(first access to Mesa agents)"}
    for k, v in figures.items():
        table.add_row(k, f"{v:,.3f}" if isinstance(v, float) else str(v), targets.get(k, ""))
    console.print(table)


def bench_batch(
    runs: Annotated[int, typer.Option(min=1, help="runs in the timed batch")] = 200,
    pupils: Annotated[int, typer.Option(min=100, help="pupils per run (a locality year)")] = 5000,
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster workers; 0 runs in-process")] = 2,
) -> None:
    """Time a batch of locality-years through the Dask executor and the run store (runs per minute, memory)."""
    from actlocally.experiments.bench.batch import run_batch_benchmark

    figures = run_batch_benchmark(runs=runs, pupils=pupils, workers=workers)
    table = Table(title="actlocally bench-batch")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    targets = {"projected_4000_runs_min": "< 5 min on 2 cores (5k pupils)"}
    for k, v in figures.items():
        table.add_row(k, f"{v:,.2f}" if isinstance(v, float) else str(v), targets.get(k, ""))
    console.print(table)
