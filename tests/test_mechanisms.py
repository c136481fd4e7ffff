"""Each mechanism moves outcomes the right way and by about the right amount (small populations, fixed seeds)."""

import re

import numpy as np
import pytest
from actlocally.model.agents import Child, Family, School, Service
from actlocally.model.area import AREAS_DIR
from actlocally.model.locality import LocalityModel
from actlocally.model.state import WAITING


def run_days(model: LocalityModel, days: int) -> LocalityModel:
    for _ in range(days):
        model.step()
    return model


def test_no_hunger_when_probabilities_are_zero(scenario_factory):
    m = LocalityModel(scenario_factory(parameters={"hunger.p_hungry_if_insecure": 0.0,
                                                   "hunger.p_hungry_if_secure": 0.0}))
    for _ in range(10):
        m.step()
        assert not m.children.hungry.any()


def test_breakfast_club_removes_hunger_for_attendees(scenario_factory):
    club = {"type": "breakfast_club", "schools": "all", "offer": "universal", "p_enrol": 1.0,
            "enrol_multiplier_food_insecure": 1.0, "enrol_ratio_older": 1.0, "p_attend_per_day": 0.8}
    base = LocalityModel(scenario_factory())
    with_club = LocalityModel(scenario_factory(interventions=[club]))
    hungry_base, hungry_club, at_club = 0, 0, 0
    insecure_days = 0
    for _ in range(20):
        base.step()
        with_club.step()
        c = with_club.children
        assert not (c.hungry & c.at_breakfast).any()  # nobody at club is hungry
        ins = with_club.families.food_insecure[c.family]
        insecure_days += ins.sum()
        hungry_base += (base.children.hungry & base.families.food_insecure[base.children.family]).sum()
        hungry_club += (c.hungry & ins).sum()
        at_club += c.at_breakfast.sum()
    assert at_club / (20 * c.n) == pytest.approx(0.8, abs=0.02)
    p = with_club.params["hunger.p_hungry_if_insecure"]
    # hunger of food-insecure children falls by about p_attend: 0.25 -> 0.05
    assert hungry_club / insecure_days == pytest.approx(p * 0.2, abs=0.02)
    assert hungry_base > 3 * hungry_club


@pytest.mark.parametrize("in_class", [False, True])
def test_older_pupils_enrol_in_a_breakfast_club_at_their_ratio_unless_it_is_in_class(scenario_factory, in_class):
    club = {"type": "breakfast_club", "schools": "all", "offer": "universal", "p_enrol": 0.8,
            "enrol_multiplier_food_insecure": 1.0, "enrol_ratio_older": 0.4, "in_class": in_class}
    m = LocalityModel(scenario_factory(interventions=[club], pupils=4000))
    m.step()
    c = m.children
    enrolled = m.interventions[0].enrolled
    young, old = c.year_group <= 2, c.year_group >= 3
    assert enrolled[young].mean() == pytest.approx(0.8, abs=0.04)
    assert enrolled[old].mean() == pytest.approx(0.8 if in_class else 0.32, abs=0.03)


def test_breakfast_club_with_zero_places_equals_baseline_exactly(scenario_factory):
    club = {"type": "breakfast_club", "schools": "all", "places_per_school": 0}
    a = run_days(LocalityModel(scenario_factory()), 30)
    b = run_days(LocalityModel(scenario_factory(interventions=[club])), 30)
    for name in ("attainment_z", "term_attended", "difficulty", "hungry"):
        assert np.array_equal(getattr(a.children, name), getattr(b.children, name))


def test_mhst_raises_referral(scenario_factory, tmp_path):
    # an area with no existing MHST, so every school's referrals move to the new teams (Keighley's fixed
    # schools already have one covering both secondaries, most of the pupils)
    text = (AREAS_DIR / "keighley_central.toml").read_text()
    area = tmp_path / "no_mhst.toml"
    area.write_text(re.sub(r"mhst_teams = \{ value = [0-9.]+", "mhst_teams = { value = 0.0", text))
    mhst = {"type": "mental_health_support_team", "teams": 3, "schools": "all"}
    base = run_days(LocalityModel(scenario_factory(area=str(area))), 60)
    more = run_days(LocalityModel(scenario_factory(area=str(area), interventions=[mhst])), 60)
    ref_base = sum(s.stats["referred"] for s in base.services.of_category("child_mh"))
    ref_more = sum(s.stats["referred"] for s in more.services.of_category("child_mh"))
    assert ref_more > 1.4 * ref_base
    assert all(s.mhst_service >= 0 for s in more.school_agents)


def test_full_service_queues_and_waits_grow(scenario_factory):
    # a CAMHS with almost no capacity and referrers who ignore waits: referrals pile up, nobody starts quickly
    # (set on the model, not the scenario: 1e9 lies outside the prior a scenario file may use; here it switches
    # the wait-thinning of referrals off to test the queue mechanics)
    m = LocalityModel(scenario_factory(), parameters={"services.wait_half_referral_days": 1e9})
    camhs = m.services.of_kind("camhs")[0]
    camhs.capacity_per_week = 0.5
    for s in m.school_agents:
        s.mhst_service = -1
    m.refresh_schools()
    run_days(m, 60)
    assert camhs.queue_length > 10 and camhs.queue_length > 2 * camhs.stats["offered"]
    waiting = m.children.mh_status == WAITING
    assert waiting.sum() == sum(s.queue_length for s in m.services.of_category("child_mh"))
    assert camhs.stats["offered"] <= 0.5 / 5 * 60 + 1


def test_support_is_capacity_limited_and_fifo(scenario_factory):
    m = LocalityModel(scenario_factory())
    svc = m.services.of_kind("talking_therapies")[0]
    ids = np.arange(10, dtype=np.int32)
    m.families.parent_depressed[ids] = True
    m.families.parent_status[ids] = WAITING
    assert len(svc.queue) == 0  # nothing queued before the first day
    svc.queue.push(ids, 0)
    svc.capacity_per_week = 10.0  # two a day
    svc.take_from_queue(1)
    started_or_dna = m.families.parent_status[ids] != WAITING
    assert started_or_dna.tolist() == [True, True] + [False] * 8  # first in, first served


def test_persistent_absence_definition():
    from actlocally.model.results import absence_stats

    possible = np.array([100, 100, 100, 100])
    attended = np.array([91, 90, 50, 49])  # missed 9%, 10%, 50%, 51%
    att, pa, sa = absence_stats(possible, attended, np.ones(4, bool))
    assert pa == 0.75 and sa == 0.5
    assert att == pytest.approx(280 / 400)


def test_difficulty_lowers_attendance_and_learning(scenario_factory):
    """b_difficulty makes a child in difficulty miss days it would have attended (no one else changes); each such
    day costs its learning except the catch-up share: z_per_day * efficiency * (1 - catch_up_share). The area's
    value added by phase and FSM group is solved from the attendance rule (model/steady_state.py), so each day
    also adds the difference of the child's school's daily offsets."""
    still = {"attendance.b_peer": 0.0, "attendance.b_absent_yesterday": 0.0}  # so days do not couple
    with_b = LocalityModel(scenario_factory(parameters={**still, "attendance.b_difficulty": -0.7}))
    without = LocalityModel(scenario_factory(parameters={**still, "attendance.b_difficulty": 0.0}))
    q = with_b.params.group("learning")
    c = with_b.children
    blurred = c.vision_uncorrected & ~c.wears_glasses
    expected = np.zeros(c.n)
    lost_days = difficulty_days = absent_days = 0
    for _ in range(120):
        with_b.step()
        without.step()
        lost = without.children.present & ~c.present
        assert not (c.present & ~without.children.present).any()  # lower log-odds, same uniforms
        assert not (lost & ~c.difficulty).any()  # only children in difficulty today
        eff = (1.0 - q["penalty_hunger"] * c.hungry - q["penalty_difficulty"] * c.difficulty
               - q["penalty_vision"] * blurred)
        expected += lost * q["z_per_school_year"] / 190 * eff * (1.0 - q["catch_up_share"])
        lost_days += int(lost.sum())
        difficulty_days += int(c.difficulty.sum())
        absent_days += int((c.difficulty & ~without.children.present).sum())
    # a day attended at absence odds o is lost with probability o (e^0.7 - 1) / (1 + o e^0.7): at most
    # (e^0.7 - 1) times the absence the same children have without b_difficulty
    absence = absent_days / difficulty_days
    share_lost = lost_days / (difficulty_days - absent_days)
    assert 0.5 * absence * (np.exp(0.7) - 1) < share_lost <= absence * (np.exp(0.7) - 1)
    va = without.school_arrays.value_added_per_day - with_b.school_arrays.value_added_per_day  # (school, FSM)
    expected += 120 * va[c.school, c.fsm.astype(int)]
    np.testing.assert_allclose(without.children.attainment_z.astype(float) - c.attainment_z, expected, atol=1e-4)


def test_neighbourhood_exposure_only_where_profiled(scenario_factory):
    hw = run_days(LocalityModel(scenario_factory(area="holme_wood")), 20)
    kc = run_days(LocalityModel(scenario_factory()), 20)
    assert hw.children.exposure[hw.children.year_group >= 7].mean() > 0.1
    assert hw.children.exposure[hw.children.year_group < 7].max() == 0
    assert kc.children.exposure.max() == 0


def test_hub_lowers_did_not_attend(scenario_factory):
    hub = {"type": "service_hub", "schools": "all", "services": ["talking_therapies", "early_help"],
           "dna_multiplier": 0.2}
    no_balk = {"services.wait_half_referral_days": 1e9}  # enough offers in a small population to compare
    # 69 days: the autumn term's counts, before the term end hands them to the results and starts again
    base = run_days(LocalityModel(scenario_factory(pupils=3000), parameters=no_balk), 69)
    with_hub = run_days(LocalityModel(scenario_factory(interventions=[hub], pupils=3000), parameters=no_balk), 69)

    def dna(model):
        s = model.services.of_kind("early_help")[0].stats
        return s["dna"], s["offered"]

    (d0, n0), (d1, n1) = dna(base), dna(with_hub)
    assert n0 >= 20 and n1 >= 20, "too few offers to compare did-not-attend rates"
    assert d1 / n1 < d0 / n0


def test_agents_are_views_of_arrays(scenario_factory):
    m = LocalityModel(scenario_factory())
    kids = m.agents_by_type[Child]
    assert len(kids) == m.children.n
    assert len(m.agents_by_type[Family]) == m.families.n
    assert len(m.agents_by_type[School]) == len(m.school_agents)
    assert len(m.agents_by_type[Service]) == len(m.services.services)
    child = m.child_agents[5]
    child.attainment_z = 1.25
    assert m.children.attainment_z[5] == pytest.approx(1.25)
    assert child.family.row == m.children.family[5]
    assert child.school.index == m.children.school[5]
    m.children.difficulty[5] = True
    assert child.difficulty is True


def test_child_and_family_agents_are_made_on_first_access_and_change_nothing(scenario_factory):
    sc = scenario_factory(years=2)
    plain = LocalityModel(sc)
    plain.run()
    assert not plain.agents_created  # a run alone never makes them
    viewed = LocalityModel(sc)
    assert len(viewed.agents_by_type[Child]) == viewed.children.n and viewed.agents_created
    ids = [a.unique_id for a in viewed.child_agents]
    viewed.run()
    leavers = [row for row, a in enumerate(viewed.child_agents) if a.unique_id != ids[row]]
    assert len(leavers) > 0  # progression gave each leaver's row a new agent
    assert len(viewed.agents_by_type[Child]) == viewed.children.n
    for name in ("attainment_z", "present", "difficulty", "sessions_attended"):
        assert np.array_equal(getattr(plain.children, name), getattr(viewed.children, name)), name


def test_year_progression_moves_children_and_replaces_leavers(scenario_factory):
    m = LocalityModel(scenario_factory(years=2))
    before = m.children.year_group.copy()
    n_agents = len(m.agents_by_type[Child])
    run_days(m, 190)
    after = m.children.year_group
    assert np.array_equal(after[before < 11], before[before < 11] + 1)
    assert np.all(after[before == 11] == 0)
    moved = before == 6
    phases = np.array([s.phase for s in m.school_agents])
    assert np.all(phases[m.children.school[moved]] == "secondary")
    assert len(m.agents_by_type[Child]) == n_agents
    m.run()
    assert m.results().sizes["term"] == 6
