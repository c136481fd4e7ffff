"""LocalityModel: one locality (or a district) of children, families, schools and services, a school day a step."""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import xarray as xr

from .agents import Child, Family, School
from .calendar import Calendar
from .errors import InputError
from .interventions.parameters import split_overrides
from .interventions.registry import REGISTRY
from .mechanisms.attendance import N_YEAR_GROUPS, refresh_fixed_logit
from .mechanisms.day import MECHANISMS, refresh_child_facts, step_day
from .mechanisms.services import ServiceNetwork
from .mechanisms.summer import summer_break
from .mechanisms.threads import ThreadChoice
from .mechanisms.tuition import TuitionState, step_tuition
from .params import DEFAULTS
from .population import SchoolArrays, add_baseline_services, initial_states, progress_year
from .results import Recorder
from .rng import Streams
from .scenario import Scenario, load_scenario
from .starting_attainment import prior_ks2_record
from .synthesis import synthesise

__all__ = ["MECHANISMS", "LocalityModel", "release_model"]  # MECHANISMS: the daily order (model/mechanisms/day.py)


def release_model(model: mesa.Model) -> None:
    """Drop Mesa's class-level reference to any finished model (mesa#3179; see `LocalityModel.release`)."""
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


class LocalityModel(mesa.Model):
    """Children, families, schools and services of one area, stepped one school day at a time.

    Child and family state lives in `model.children` / `model.families` (arrays); the `Child` and `Family`
    agents are views of their rows, so `model.agents_by_type[Child]` and `child.attainment_z` work as in any
    Mesa model while the daily mechanisms run as numba kernels over whole arrays. Those agents are created the
    first time `agents`, `agents_by_type`, `agent_types`, `child_agents` or `family_agents` is read.
    """

    def __init__(self, scenario: Scenario | str | Path = "baseline_keighley_central", *, seed: int | None = None,
                 replicate: int = 0, pupils: int | None = None, parameters: dict[str, float] | None = None,
                 rng=None) -> None:
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.scenario = sc
        self.seed = sc.seed if seed is None else int(seed)
        self.replicate = int(replicate)
        self.streams = Streams(self.seed, self.replicate)
        super().__init__(rng=rng if rng is not None else self.streams.generator("mesa"))
        self.area = sc.area_profile
        if self.area.partition is not None:  # one model of a whole nation would need ~10 GB: run its localities
            raise InputError(sc._path, "area", f"area '{self.area.name}' is partitioned into "
                             f"{self.area.partition.localities} localities; run it with `actlocally run` (one model "
                             "per locality, gathered into one result), not as one model")
        model_overrides, intervention_params = split_overrides({**sc.parameters, **(parameters or {})},
                                                               sc.intervention_params, sc._path)
        try:
            self.params = DEFAULTS.with_overrides(model_overrides)
        except KeyError as err:
            raise InputError(None, f"parameters.{err.args[0]}", "unknown parameter") from None
        pop = synthesise(self.area, self.params, self.streams.generator("synthesis"), pupils or sc.pupils)
        self.population = pop
        self.children, self.families = pop.children, pop.families
        self.scale = self.children.n / (self.area.pupils.primary.value + self.area.pupils.secondary.value)
        self.capacity_scale = self.scale
        self.calendar = Calendar(sc.years, sc.first_year)
        self.today = self.calendar.school_day(0)
        self.crime_index = self.area.neighbourhood.crime_index.value if self.area.neighbourhood else None

        self.school_agents = [School(self, i, s.name, s.phase, s.attendance_effect, s.value_added, s.roll,
                                     s.disadvantaged_share, s.eal_share) for i, s in enumerate(pop.schools)]
        for agent, spec in zip(self.school_agents, pop.schools, strict=True):
            agent.attainment_offset = spec.attainment_offset
        self._family_agents: list[Family] | None = None  # created on first use: see `_materialise_agents`
        self._child_agents: list[Child] | None = None
        self.services = ServiceNetwork()
        add_baseline_services(self)
        self.child_buffer = np.empty(self.children.n, np.int32)  # referral lists the kernels fill
        self.child_buffer2 = np.empty(self.children.n, np.int32)
        self.family_buffer = np.empty(self.families.n, np.int32)
        self.family_buffer2 = np.empty(self.families.n, np.int32)
        self.family_buffer3 = np.empty(self.families.n, np.int32)
        self.family_state = np.zeros(self.families.n, np.uint8)  # today's family flags for the child pass
        self.thread_choice = ThreadChoice()  # one thread or all for the day's passes, by measured speed
        n_classes = len(self.school_agents) * N_YEAR_GROUPS
        self._class_absence = np.zeros(n_classes)
        self._class_absent = np.zeros(n_classes)
        self._class_absent_blocks = np.zeros((0, n_classes))  # per block of a parallel child pass
        self.class_size = np.zeros(n_classes)
        self.present_today = self.children.n
        self._mean_absence = 0.0
        self.hungry_today = np.zeros(3, np.int64)  # all, FSM, girls: counted by the hunger kernel
        self.attendance_fixed = np.zeros(self.children.n, np.float32)
        self.attendance_shift = np.zeros(self.children.n, np.float32)  # set by interventions, added to the above
        self.class_id = np.zeros(self.children.n, np.int32)
        self.holiday_provision = np.zeros(self.children.n, np.float32)  # share of the summer's hungry days covered
        self.refresh_schools()
        initial_states(self, self.streams.generator("initial_state"))
        prior_ks2_record(self, self.streams.generator("ks2_record"))
        self.children.present[:] = True  # nobody starts the run on an absence spell

        self.school_year = 0  # index of the school year the children's year groups and enrolments refer to
        self.tuition: TuitionState | None = None  # made by a tuition intervention (model/mechanisms/tuition.py)
        self.interventions = [REGISTRY[p.type](p) for p in intervention_params]
        for iv in self.interventions:
            if iv.params.start_day >= self.calendar.n_days:
                raise InputError(sc._path, f"interventions ({iv.label}).start_day",
                                 f"{iv.params.start_day} is not a school day of this run (0 to "
                                 f"{self.calendar.n_days - 1} for {sc.years} year(s) of 190 days)")
            try:
                iv.setup(self)
                if iv.params.start_day == 0:
                    iv.begin(self)
            except ValueError as err:
                raise InputError(sc._path, f"interventions ({iv.label})", str(err)) from None
        self.refresh_schools()
        self.recorder = Recorder(self)
        self.datacollector = mesa.DataCollector(model_reporters={
            "attendance_today": lambda m: m.present_today / m.children.n,
            "hungry_today": lambda m: m.hungry_today[0] / m.children.n,
            "waiting": lambda m: m.services.waiting(),
        })
        self._day = 0

    @property
    def today_year(self) -> int:
        return self.today.year

    # Child and Family agents are views of array rows, created the first time anyone asks for agents. A batch run
    # never does, and registering ~1.6 agents a pupil with Mesa was half the build time of a 5,000-pupil locality.
    @property
    def agents(self) -> mesa.agent.AgentSet:
        self._materialise_agents()
        return super().agents

    @property
    def agents_by_type(self) -> dict:
        self._materialise_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        self._materialise_agents()
        return super().agent_types

    @property
    def child_agents(self) -> list[Child]:
        """The Child agent of each row of `children`."""
        self._materialise_agents()
        return self._child_agents

    @property
    def family_agents(self) -> list[Family]:
        """The Family agent of each row of `families`."""
        self._materialise_agents()
        return self._family_agents

    @property
    def agents_created(self) -> bool:
        """Whether the Child and Family agents exist yet (they are made on first access)."""
        return self.__dict__.get("_child_agents") is not None

    def _materialise_agents(self) -> None:
        """Create the Family and Child agents, in row order, unless they exist (or the arrays do not yet)."""
        if "_child_agents" in self.__dict__ and self._child_agents is None:
            self._family_agents = [Family(self, r) for r in range(self.families.n)]
            self._child_agents = [Child(self, r) for r in range(self.children.n)]

    def refresh_schools(self) -> None:
        """Rebuild the per-school arrays the kernels read, after schools, services or year groups change."""
        self.school_arrays = SchoolArrays(self)
        self.exposure_max: float | None = None  # largest exposure stock, kept by the child pass between refreshes
        refresh_fixed_logit(self)
        refresh_child_facts(self)

    def step(self) -> None:
        """Advance one school day: interventions set state, mechanisms act, services take from queues."""
        if not self.running:
            return
        day = self._day
        self.today = self.calendar.school_day(day)
        self.children.at_breakfast[:] = False
        starting = [iv for iv in self.interventions if not iv.started and day >= iv.params.start_day]
        for iv in starting:
            iv.begin(self)
        if starting:
            self.refresh_schools()
        for iv in self.interventions:
            if iv.started:
                iv.apply(self, day)
        if self.today.day_of_year == 0:
            summer_break(self)  # the summer holiday before this school year (mechanisms/summer.py)
        self.step_mechanisms(day)
        if self.tuition is not None:  # after attendance: a pupil present today attends a booked session
            step_tuition(self, day)
        self.services.take_from_queues(day)  # every Service agent's intake, in the order they were added
        self.recorder.day_end(self, day)
        self.datacollector.collect(self)
        if self.today.last_of_term:
            self.recorder.term_end(self)
        if self.today.last_of_year:
            self.recorder.year_end(self)
            if self.today.year + 1 < self.calendar.years:
                progress_year(self, self.streams.generator(f"entrants:{self.today.year + 1}"))
                self.school_year = self.today.year + 1
                for iv in self.interventions:
                    if iv.started:
                        iv.new_year(self)
                self.refresh_schools()
        self._day += 1
        if self._day >= self.calendar.n_days:
            self.running = False

    def step_mechanisms(self, day: int) -> None:
        """The day's array mechanisms (`MECHANISMS` in order), fused into two passes (`model.reference` overrides
        this with the same rules run per agent in plain Python)."""
        step_day(self, day)

    def run(self) -> LocalityModel:
        """Step to the end of the scenario's years."""
        while self.running:
            self.step()
        return self

    def release(self) -> None:
        """Drop Mesa's class-level reference to this model so it can be freed after a batch run.

        Mesa before 3.4 keeps every model in `Agent._ids` (mesa#3179): without this, a worker running thousands of
        models grows by ~5 MB a run. A no-op on Mesa versions without that dictionary.
        """
        release_model(self)

    def results(self) -> xr.Dataset:
        """Term and year results by group, school, service and intervention, with run metadata."""
        from .metadata import run_attrs
        ds = self.recorder.dataset(self)
        ds.attrs.update(run_attrs(self))
        return ds

    def microdata(self) -> xr.Dataset:
        """End-of-run microdata: one row per child, sessions over the last academic year."""
        from .metadata import child_microdata
        return child_microdata(self)
