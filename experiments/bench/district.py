"""`actlocally bench`: speed and memory of a district-sized year against a plain per-agent Mesa reference.

The reference is what a first Mesa model would be: one Python object per child and per family with its own
attributes, each with a `step()` doing the same daily mechanisms with the same formulas (children: hunger,
exposure, wellbeing and referral, attendance with the peer effect, learning; families: food security and
food-support seeking, parent wellbeing and referral, engagement), FIFO queues at model level, run by
`shuffle_do("step")` on a subsample of children and their families, timed per child-day.
"""

from __future__ import annotations

import gc
import math
import resource
import time

import mesa
import numba
import numpy as np
from actlocally.experiments.bench.population import bench_scenario
from actlocally.model.locality import LocalityModel, release_model
from actlocally.model.mechanisms import day


class ReferenceFamily(mesa.Agent):
    """A family stepped in Python: food security, food-support seeking, parent wellbeing, engagement."""

    def __init__(self, model: ReferenceModel, food_insecure: bool, parent_depressed: bool, engagement: float) -> None:
        super().__init__(model)
        self.food_insecure = food_insecure
        self.parent_depressed = parent_depressed
        self.engagement = engagement
        self.engagement_base = engagement
        self.food_waiting = False
        self.parent_waiting = False

    def step(self) -> None:
        p, r = self.model.p, self.model.random.random
        if self.food_insecure:
            if r() < p["food_recover"]:
                self.food_insecure = False
            elif not self.food_waiting and r() < p["p_seek"]:
                self.food_waiting = True
                self.model.food_queue.append(self)
        elif r() < p["food_onset"]:
            self.food_insecure = True
        if self.parent_depressed:
            if r() < p["p_parent_recover"]:
                self.parent_depressed = False
        elif r() < p["parent_onset"]:
            self.parent_depressed = True
        if self.parent_depressed and not self.parent_waiting and r() < p["p_parent_refer"]:
            self.parent_waiting = True
            self.model.therapy_queue.append(self)
        self.engagement += p["engagement_decay"] * (self.engagement_base - self.engagement)


class ReferenceChild(mesa.Agent):
    """One child stepped in Python: hunger, exposure, wellbeing and referral, attendance, learning."""

    def __init__(self, model: ReferenceModel, family: ReferenceFamily, fixed_logit: float, secondary: bool,
                 female: bool, fsm: bool, attainment_z: float, class_key: tuple) -> None:
        super().__init__(model)
        self.family = family
        self.fixed_logit = fixed_logit
        self.secondary = secondary
        self.female = female
        self.fsm = fsm
        self.attainment_z = attainment_z
        self.class_key = class_key
        self.difficulty = False
        self.waiting = False
        self.hungry = False
        self.at_breakfast = False
        self.exposure = 0.0
        self.vision_uncorrected = False
        self.present = True
        self.absent_yesterday = False
        self.sessions_possible = 0
        self.sessions_attended = 0
        self.illness_sessions = 0

    def step(self) -> None:
        m = self.model
        p, r, fam = m.p, m.random.random, self.family
        # hunger
        self.hungry = r() < (p["p_hungry_if_insecure"] if fam.food_insecure else p["p_hungry_if_secure"])
        self.hungry = self.hungry and not self.at_breakfast
        # neighbourhood exposure
        if self.secondary:
            self.exposure *= 1.0 - p["exposure_decay"]
            if r() < p["p_exposure"]:
                self.exposure += 1.0
        # wellbeing and referral
        if self.difficulty:
            if r() < p["p_recover"]:
                self.difficulty = False
        else:
            lm = (p["b_girl_secondary"] if self.female else 0.0) if self.secondary else \
                 (0.0 if self.female else p["b_boy_primary"])
            lm += p["b_parent_depressed"] * fam.parent_depressed + p["b_fsm"] * self.fsm
            lm += p["b_food_insecure"] * fam.food_insecure + p["b_exposure_onset"] * self.exposure
            base = p["p_onset_secondary"] if self.secondary else p["p_onset_primary"]
            if r() < base * math.exp(lm):
                self.difficulty = True
        if self.difficulty and not self.waiting and r() < p["p_refer"]:
            self.waiting = True
            m.camhs_queue.append(self)
        # attendance, with yesterday's class absence as the peer effect
        x = self.fixed_logit + m.season + p["b_engagement"] * (fam.engagement - 0.5)
        x += p["b_difficulty"] * self.difficulty + p["b_parent"] * fam.parent_depressed
        x += p["b_hunger"] * self.hungry + p["b_absent_yesterday"] * self.absent_yesterday
        x += p["b_peer"] * (m.class_absence.get(self.class_key, 0.0) - m.mean_absence) + p["b_exposure"] * self.exposure
        self.present = r() < 1.0 / (1.0 + math.exp(-x))
        self.absent_yesterday = not self.present
        self.sessions_possible += 2
        if self.present:
            self.sessions_attended += 2
        else:
            m.absent_today[self.class_key] = m.absent_today.get(self.class_key, 0) + 1
            if r() < p["illness_share"]:
                self.illness_sessions += 2
        # learning
        eff = 1.0 - p["penalty_hunger"] * self.hungry - p["penalty_difficulty"] * self.difficulty
        eff -= p["penalty_vision"] * self.vision_uncorrected
        gain = eff if self.present else p["catch_up_share"] * eff
        self.attainment_z += p["z_per_day"] * (gain - p["reference"])


class ReferenceModel(mesa.Model):
    """The per-agent reference, built from a sample of a LocalityModel's children and their families."""

    def __init__(self, source: LocalityModel, rows: np.ndarray, seed: int = 1) -> None:
        super().__init__(rng=seed)
        prm = source.params
        self.p = {**prm.group("hunger"), **prm.group("wellbeing"), **prm.group("learning"),
                  **prm.group("neighbourhood")}
        a, q = prm.group("attendance"), prm.group("food")
        self.p.update(b_engagement=a["b_engagement"], b_difficulty=a["b_difficulty"], b_parent=a["b_parent_depressed"],
                      b_hunger=a["b_hunger"], b_absent_yesterday=a["b_absent_yesterday"], b_peer=a["b_peer"],
                      b_exposure=a["b_exposure"], b_exposure_onset=prm["wellbeing.b_exposure"],
                      illness_share=a["illness_share"], z_per_day=self.p["z_per_school_year"] / 190, reference=0.9,
                      food_recover=q["p_recover"], food_onset=0.001, p_seek=q["p_seek"], parent_onset=0.001,
                      engagement_decay=q["engagement_decay"])
        self.season = 0.0
        self.class_absence: dict = {}
        self.absent_today: dict = {}
        self.mean_absence = 0.0
        self.camhs_queue: list = []
        self.food_queue: list = []
        self.therapy_queue: list = []
        c, f = source.children, source.families
        families: dict[int, ReferenceFamily] = {}
        self.n_children = len(rows)
        for row in rows:
            fr = int(c.family[row])
            if fr not in families:
                families[fr] = ReferenceFamily(self, bool(f.food_insecure[fr]), bool(f.parent_depressed[fr]),
                                               float(f.engagement[fr]))
            ReferenceChild(self, families[fr], float(source.attendance_fixed[row]), bool(c.year_group[row] >= 7),
                           bool(c.female[row]), bool(c.fsm[row]), float(c.attainment_z[row]),
                           (int(c.school[row]), int(c.year_group[row])))

    def step(self) -> None:
        self.absent_today = {}
        self.agents.shuffle_do("step")
        self.class_absence = {k: v / 30.0 for k, v in self.absent_today.items()}
        self.mean_absence = sum(self.absent_today.values()) / self.n_children
        for queue in (self.camhs_queue, self.food_queue, self.therapy_queue):  # FIFO intake, two a day
            for client in queue[:2]:
                if hasattr(client, "waiting"):
                    client.waiting = False
                elif hasattr(client, "parent_waiting"):
                    client.parent_waiting = False
            del queue[:2]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _reference_rows(model: LocalityModel, sample: int) -> np.ndarray:
    """Rows of whole families, so the reference has the full model's mix of families per child (siblings too)."""
    fam_order = model.streams.generator("bench").permutation(model.families.n)
    sizes = np.bincount(model.children.family, minlength=model.families.n)
    take = fam_order[: int(np.searchsorted(np.cumsum(sizes[fam_order]), min(sample, model.children.n))) + 1]
    return np.flatnonzero(np.isin(model.children.family, take))


def _time_reference(model: LocalityModel, rows: np.ndarray, days: int, seed: int) -> float:
    """ns per child-day of the per-agent reference on these rows of `model`."""
    ref = ReferenceModel(model, rows, seed=seed)
    gc.disable()
    t0 = time.perf_counter()
    for _ in range(days):
        ref.step()
    elapsed = time.perf_counter() - t0
    gc.enable()
    release_model(ref)  # as LocalityModel.release: let the reference model be freed
    return elapsed / (rows.size * days) * 1e9


def run_benchmark(pupils: int = 100_000, reference_sample: int = 2000, reference_days: int = 30,
                  scenario: str = "baseline_bradford", repeats: int = 5) -> dict:
    """Measure build, JIT-warm run, per-child-day cost, memory and the per-agent reference.

    The run is timed on numba's threads (`threads`: all cores unless NUMBA_NUM_THREADS says otherwise) and on one
    thread (`*_one_thread`); the reference is single-threaded Python, as a per-agent Mesa model is.
    Times are the best of `repeats` with the garbage collector off while timing (as timeit does): on a shared
    machine the minimum is the stable figure. The reference is timed after every run, not in a block at the end,
    so a change in the machine's load during the benchmark affects both sides of the speed-up alike.
    """
    warm = LocalityModel("baseline_holme_wood", pupils=500)  # compile or load cached kernels
    for _ in range(3):
        warm.step()
    day.step_day_in_parallel(warm, 3)  # and the parallel passes
    del warm
    gc.collect()
    all_threads = numba.get_num_threads()
    bench_sc = bench_scenario(scenario, pupils)  # the area rescaled to `pupils`, schools scaling with them
    build_s = math.inf
    run_s = {}  # threads -> best run time
    ref_ns = math.inf
    model = None
    rows = None
    for threads in sorted({1, all_threads}):
        for r in range(max(1, repeats)):
            numba.set_num_threads(threads)
            if model is not None:
                model.release()  # Mesa 3.3 keeps every model alive otherwise (mesa#3179): memory would grow
            model = None
            gc.collect()
            t0 = time.perf_counter()
            model = LocalityModel(bench_sc)
            build_s = min(build_s, time.perf_counter() - t0)
            if rows is None:
                rows = _reference_rows(model, reference_sample)
            gc.disable()
            t0 = time.perf_counter()
            model.run()
            run_s[threads] = min(run_s.get(threads, math.inf), time.perf_counter() - t0)
            gc.enable()
            ref_ns = min(ref_ns, _time_reference(model, rows, reference_days, seed=r + 1))
    numba.set_num_threads(all_threads)
    n = model.children.n
    days = model.calendar.n_days
    ns = {k: v / (n * days) * 1e9 for k, v in run_s.items()}
    state_bytes = model.children.nbytes + model.families.nbytes
    t0 = time.perf_counter()
    model.agents_by_type  # noqa: B018 - the Child and Family agents are made on first access: time that too
    agents_s = time.perf_counter() - t0
    return {
        "pupils": int(n),
        "families": int(model.families.n),
        "schools": len(model.school_agents),
        "days": int(days),
        "threads": int(all_threads),
        "build_s": round(build_s, 3),
        "agents_s": round(agents_s, 3),
        "run_s": round(run_s[all_threads], 3),
        "ns_per_child_day": round(ns[all_threads], 1),
        "reference_ns_per_child_day": round(ref_ns, 1),
        "reference_sample": int(rows.size),
        "speedup_vs_reference": round(ref_ns / ns[all_threads], 1),
        "run_s_one_thread": round(run_s[1], 3),
        "ns_per_child_day_one_thread": round(ns[1], 1),
        "speedup_one_thread": round(ref_ns / ns[1], 1),
        "reference_district_year_s": round(ref_ns * n * days / 1e9, 1),
        "repeats": int(repeats),
        "bytes_per_child": round(state_bytes / n, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
