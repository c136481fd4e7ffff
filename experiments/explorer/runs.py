"""Runs started from the browser: the scenario against its area's baseline, through the project's comparison code.

A run is a comparison (`plan_comparison` + `run_comparison`) written to `outputs/<scenario name>/` like
`actlocally compare` writes it, with its run store (`runs.zarr`): a finished (scenario, replicate) is never
recomputed for the same inputs, and a cancelled run resumes where it stopped. Cancelling stops between runs.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from actlocally.experiments.compare.comparison import attach_posteriors, plan_comparison, run_comparison
from actlocally.experiments.compare.report import write_comparison_outputs
from actlocally.model.errors import InputError
from actlocally.model.scenario import Scenario
from actlocally.runtime.executor import Executor
from actlocally.runtime.storage import atomic_path

_IN_PROCESS = threading.Lock()  # numba's default threading layer must not be entered from two threads at once


class Cancelled(Exception):
    """The user pressed Cancel; finished runs stay in the run store."""


@dataclasses.dataclass
class RunSettings:
    """How the server runs batches (from `actlocally serve`'s options)."""

    outputs: Path
    workers: int = 2
    scheduler: str | None = None
    posterior: str = "auto"


@dataclasses.dataclass
class Progress:
    """Shared between the run's thread and the page: runs done of total, a stage line and the cancel flag."""

    done: int = 0
    total: int = 0
    stage: str = "waiting"
    cancel: threading.Event = dataclasses.field(default_factory=threading.Event)

    def update(self, done: int, total: int) -> None:
        if self.cancel.is_set():
            raise Cancelled()
        self.done, self.total, self.stage = done, total, "running"


def baseline_for(scenario: Scenario) -> Scenario:
    """The scenario without its interventions: same area, years, seed, population and parameter overrides."""
    data = scenario.model_dump(mode="json", exclude={"interventions", "name", "description"})
    data["name"] = f"baseline_{scenario.area}"[:80] if scenario.name != f"baseline_{scenario.area}" else "baseline"
    data["description"] = f"{scenario.area} as it is (no new interventions)"
    return Scenario.model_validate(data).validate_all()


def run_scenario(scenario: Scenario, scenario_toml: str, replicates: int, settings: RunSettings,
                 progress: Progress) -> Path:
    """Run the scenario and its baseline `replicates` times under common random numbers; return the folder."""
    if not scenario.interventions:
        raise InputError("scenario form", "interventions", "add at least one intervention to compare with the "
                         "baseline")
    plan = plan_comparison([baseline_for(scenario)], [scenario], name=scenario.name, replicates=replicates,
                           seed=scenario.seed, title=scenario.description or scenario.name)
    attach_posteriors(plan, settings.posterior)
    out_dir = settings.outputs / plan.name
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "scenario.toml") as tmp:
        tmp.write_text(scenario_toml, encoding="utf-8")
    lock = _IN_PROCESS if settings.workers == 0 and settings.scheduler is None else None
    progress.stage = "starting workers"
    if lock:
        lock.acquire()
    try:
        with Executor(settings.workers, settings.scheduler) as ex:
            ds = run_comparison(plan, ex, out_dir, progress.update)
        progress.stage = "writing results"
        write_comparison_outputs(ds, out_dir)
    finally:
        if lock:
            lock.release()
    progress.stage = "done"
    return out_dir


def one_line(err: BaseException) -> str:
    """A failed run's reason in one line (never a traceback)."""
    if isinstance(err, Cancelled):
        return "cancelled; finished runs are kept and a rerun resumes from them"
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else 'no message'}" if not isinstance(err, InputError) \
        else text[0]
