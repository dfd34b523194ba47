from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.expert_directory import ExpertRecord, Skill, Tier
from bot.expert_ranking import (
    Availability,
    Candidate,
    SkillRanking,
    choose_experts,
    rank_for_skill,
)
from bot.shifts import WorkingHours

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # 14:00 in Berlin, 08:00 in New York, 21:00 in Tokyo


def person(
    slack_id: str,
    *,
    skills: dict[str, int] | None = None,
    tier: Tier = "L2",
    timezone: str = "UTC",
    hours: str = "00:00-24:00",
    max_active_swarms: int = 3,
    out_of_office_until: datetime | None = None,
) -> ExpertRecord:
    return ExpertRecord(
        slack_id=slack_id,
        name=slack_id.title(),
        skills=tuple(Skill(tag, level) for tag, level in sorted((skills or {"postgres": 2}).items())),
        tier=tier,
        timezone=timezone,
        hours=WorkingHours.parse(hours),
        max_active_swarms=max_active_swarms,
        out_of_office_until=out_of_office_until,
    )


def candidate(
    slack_id: str,
    *,
    active: int = 0,
    last: datetime | None = None,
    away_until: datetime | None = None,
    **record: Any,
) -> Candidate:
    return Candidate(
        expert=person(slack_id, **record),
        active_swarms=active,
        last_engaged_at=last,
        out_of_office_until=away_until,
    )


def rank(*candidates: Candidate, severity: str = "sev3", now: datetime = NOW, **kw: Any) -> SkillRanking:
    return rank_for_skill("postgres", candidates, severity=severity, now=now, **kw)


def order(ranking: SkillRanking) -> list[str]:
    return [expert.slack_id for expert in ranking.experts]


def reasons(ranking: SkillRanking) -> dict[str, str]:
    return {expert.slack_id: expert.reason for expert in ranking.experts}


def test_only_people_with_the_skill_are_ranked():
    ranking = rank(candidate("UANA"), candidate("UBO", skills={"billing": 3}))
    assert order(ranking) == ["UANA"]


def test_available_reason_says_skill_shift_and_load():
    ranking = rank(candidate("UANA", active=1), candidate("UBO"), candidate("UCY", active=2))
    assert reasons(ranking) == {
        "UANA": "matched #postgres · on shift · 1 active swarm",
        "UBO": "matched #postgres · on shift · 0 active swarms",
        "UCY": "matched #postgres · on shift · 2 active swarms",
    }
    assert all(expert.available for expert in ranking.experts)


def test_off_shift_reason_says_when_the_shift_starts_on_their_clock():
    early = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)  # 07:00 in Berlin
    (ana,) = rank(candidate("UANA", timezone="Europe/Berlin", hours="09:00-18:00"), now=early).experts
    assert ana.availability is Availability.OFF_SHIFT
    assert ana.reason == "off shift until 09:00 Europe/Berlin"


def test_busy_reason_says_how_many_of_the_limit():
    (ana,) = rank(candidate("UANA", active=3, max_active_swarms=3)).experts
    assert (ana.available, ana.reason) == (False, "busy: 3 of 3 active swarms")


def test_someone_over_a_lowered_limit_is_busy_too():
    (ana,) = rank(candidate("UANA", active=4, max_active_swarms=2)).experts
    assert ana.reason == "busy: 4 of 2 active swarms"


def test_one_below_the_limit_is_still_available():
    (ana,) = rank(candidate("UANA", active=2, max_active_swarms=3)).experts
    assert ana.available


def test_off_shift_and_busy_says_both():
    early = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)
    (ana,) = rank(
        candidate("UANA", active=1, max_active_swarms=1, timezone="Europe/Berlin", hours="09:00-18:00"),
        now=early,
    ).experts
    assert ana.reason == "off shift until 09:00 Europe/Berlin · busy: 1 of 1 active swarms"


def test_out_of_office_until_a_date_shows_the_date():
    back = datetime(2026, 12, 1, tzinfo=UTC)
    (ana,) = rank(candidate("UANA", out_of_office_until=back)).experts
    assert (ana.availability, ana.reason) == (Availability.OUT_OF_OFFICE, "out of office until 2026-12-01")


def test_out_of_office_until_a_time_shows_it_on_their_clock():
    back = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
    (ana,) = rank(candidate("UANA", timezone="Europe/Berlin", away_until=back)).experts
    assert ana.reason == "out of office until 2026-06-02 14:00 Europe/Berlin"


def test_out_of_office_that_has_ended_is_available():
    (ana,) = rank(candidate("UANA", out_of_office_until=NOW, away_until=NOW - timedelta(days=1))).experts
    assert ana.available


def test_the_later_of_the_live_and_the_directory_out_of_office_counts():
    directory, live = datetime(2026, 6, 3, tzinfo=UTC), datetime(2026, 6, 5, tzinfo=UTC)
    (ana,) = rank(candidate("UANA", out_of_office_until=directory, away_until=live)).experts
    assert ana.reason == "out of office until 2026-06-05"


def test_excluded_people_are_listed_as_already_in_the_swarm():
    ranking = rank(candidate("UANA", skills={"postgres": 3}), candidate("UBO"), exclude=frozenset({"UANA"}))
    assert order(ranking) == ["UBO", "UANA"]
    assert ranking.experts[1].reason == "already in the swarm"
    assert ranking.pick(2) == ranking.experts[:1]


def test_available_people_come_before_better_unavailable_ones():
    ranking = rank(
        candidate("UANA", skills={"postgres": 3}, active=3), candidate("UBO", skills={"postgres": 1})
    )
    assert order(ranking) == ["UBO", "UANA"]


def test_higher_proficiency_comes_first():
    ranking = rank(
        candidate("UANA", skills={"postgres": 1}),
        candidate("UBO", skills={"postgres": 3}),
        candidate("UCY", skills={"postgres": 2}),
    )
    assert order(ranking) == ["UBO", "UCY", "UANA"]


def test_proficiency_outranks_tier_fit():
    ranking = rank(
        candidate("UANA", tier="L3", skills={"postgres": 2}),
        candidate("UBO", tier="L1", skills={"postgres": 3}),
        severity="sev1",
    )
    assert order(ranking) == ["UBO", "UANA"]


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("sev1", ["UL3", "UL2", "UL1", "UL4"]),
        ("sev2", ["UL2", "UL3", "UL1", "UL4"]),
        ("sev3", ["UL2", "UL1", "UL3", "UL4"]),
        ("sev4", ["UL1", "UL2", "UL3", "UL4"]),
    ],
)
def test_tier_preference_follows_the_severity(severity: str, expected: list[str]):
    tiers: tuple[Tier, ...] = ("L4", "L1", "L3", "L2")
    people = [candidate(f"U{tier}", tier=tier) for tier in tiers]
    assert order(rank(*people, severity=severity)) == expected


def test_vendor_support_is_pulled_in_when_nobody_in_house_fits():
    ranking = rank(candidate("UIN", tier="L3", active=3), candidate("UVENDOR", tier="L4"), severity="sev1")
    assert [expert.slack_id for expert in ranking.pick(1)] == ["UVENDOR"]


def test_never_engaged_comes_first_then_the_least_recently_engaged():
    ranking = rank(
        candidate("UANA", last=NOW - timedelta(hours=1)),
        candidate("UBO", last=NOW - timedelta(days=3)),
        candidate("UCY"),
    )
    assert order(ranking) == ["UCY", "UBO", "UANA"]


def test_equal_people_are_ordered_by_slack_id():
    assert order(rank(candidate("UCY"), candidate("UANA"), candidate("UBO"))) == ["UANA", "UBO", "UCY"]


@given(st.permutations(range(6)))
def test_the_order_does_not_depend_on_the_order_of_the_candidates(permutation: list[int]):
    people = [
        candidate("UA"),
        candidate("UB", last=NOW - timedelta(hours=2)),
        candidate("UC", last=NOW - timedelta(hours=2)),
        candidate("UD", skills={"postgres": 3}, active=3),
        candidate("UE", tier="L1"),
        candidate("UF", tier="L1"),
    ]
    shuffled = [people[index] for index in permutation]
    assert order(rank(*shuffled)) == ["UA", "UB", "UC", "UE", "UF", "UD"]


def test_fair_rotation_across_ten_consecutive_swarms():
    engaged: dict[str, datetime | None] = {"UANA": None, "UBO": None, "UCY": None}
    picks = []
    for swarm in range(10):
        moment = NOW + timedelta(minutes=30 * swarm)
        ranking = rank(*(candidate(slack_id, last=last) for slack_id, last in engaged.items()), now=moment)
        (chosen,) = ranking.pick(1)
        picks.append(chosen.slack_id)
        engaged[chosen.slack_id] = moment
    assert picks == ["UANA", "UBO", "UCY"] * 3 + ["UANA"]


def test_load_limits_stop_the_rotation_when_everyone_is_full():
    active = dict.fromkeys(["UANA", "UBO", "UCY"], 0)
    picks = []
    for swarm in range(4):
        people = [
            candidate(slack_id, active=count, max_active_swarms=1) for slack_id, count in active.items()
        ]
        ranking = rank(*people, now=NOW + timedelta(minutes=swarm))
        picks += [expert.slack_id for expert in ranking.pick(1)]
        for expert in ranking.pick(1):
            active[expert.slack_id] += 1
    assert picks == ["UANA", "UBO", "UCY"]
    assert ranking.nobody_fits == "nobody with #postgres is available: all 3 are busy"


def test_us_and_european_dst_changes_on_different_weeks_are_each_respected():
    new_york = candidate("UNY", timezone="America/New_York", hours="09:00-18:00")
    berlin = candidate("UBER", timezone="Europe/Berlin", hours="09:00-18:00")

    def available_at(moment: datetime) -> list[str]:
        return [expert.slack_id for expert in rank(new_york, berlin, now=moment).available]

    # 13:30 UTC is 08:30 EST before New York's change (8 March 2026) and 09:30 EDT after it.
    assert available_at(datetime(2026, 3, 2, 13, 30, tzinfo=UTC)) == ["UBER"]
    assert available_at(datetime(2026, 3, 9, 13, 30, tzinfo=UTC)) == ["UBER", "UNY"]
    # 07:30 UTC is 08:30 CET before Berlin's change (29 March 2026) and 09:30 CEST after it.
    assert available_at(datetime(2026, 3, 28, 7, 30, tzinfo=UTC)) == []
    assert available_at(datetime(2026, 3, 29, 7, 30, tzinfo=UTC)) == ["UBER"]
    # And back: 07:30 UTC is 09:30 CEST on 24 October, 08:30 CET on the 25th.
    assert available_at(datetime(2026, 10, 24, 7, 30, tzinfo=UTC)) == ["UBER"]
    assert available_at(datetime(2026, 10, 25, 7, 30, tzinfo=UTC)) == []


def test_berlin_off_shift_reason_after_the_autumn_change_names_the_local_start():
    saturday_evening = datetime(2026, 10, 24, 18, 0, tzinfo=UTC)  # 20:00 CEST
    berlin = candidate("UBER", timezone="Europe/Berlin", hours="09:00-18:00")
    assert rank(berlin, now=saturday_evening).experts[0].reason == "off shift until 09:00 Europe/Berlin"


def test_overnight_shift_is_available_in_the_small_hours_of_its_own_timezone():
    tokyo_night = candidate("UTOK", timezone="Asia/Tokyo", hours="22:00-06:00")
    assert rank(tokyo_night, now=datetime(2026, 6, 1, 17, 0, tzinfo=UTC)).experts[0].available  # 02:00 JST
    late = rank(tokyo_night, now=datetime(2026, 6, 1, 21, 30, tzinfo=UTC)).experts[0]  # 06:30 JST
    assert late.reason == "off shift until 22:00 Asia/Tokyo"


def test_pick_returns_at_most_the_available_people():
    ranking = rank(candidate("UANA"), candidate("UBO"), candidate("UCY", active=3))
    assert [expert.slack_id for expert in ranking.pick(5)] == ["UANA", "UBO"]
    assert ranking.pick(0) == ()
    with pytest.raises(ValueError):
        ranking.pick(-1)


def test_nobody_fits_when_nobody_has_the_skill():
    ranking = rank(candidate("UANA", skills={"billing": 2}))
    assert ranking.experts == ()
    assert ranking.nobody_fits == "nobody has #postgres"


@pytest.mark.parametrize(
    ("people", "why"),
    [
        ([candidate("UANA", active=3)], "the only one is busy"),
        (
            [candidate("UANA", hours="01:00-02:00"), candidate("UBO", hours="01:00-02:00")],
            "both are off shift",
        ),
        ([candidate("UANA", out_of_office_until=NOW + timedelta(days=1))], "the only one is out of office"),
        (
            [
                candidate("UANA", active=3),
                candidate("UBO", hours="01:00-02:00"),
                candidate("UCY", hours="01:00-02:00"),
                candidate("UDI", out_of_office_until=NOW + timedelta(days=1)),
            ],
            "1 out of office, 2 off shift, 1 busy",
        ),
    ],
)
def test_nobody_fits_says_why(people: list[Candidate], why: str):
    ranking = rank(*people)
    assert ranking.pick(1) == ()
    assert ranking.nobody_fits == f"nobody with #postgres is available: {why}"


def test_nobody_fits_is_none_when_someone_is_available():
    assert rank(candidate("UANA"), candidate("UBO", active=3)).nobody_fits is None


def test_choose_experts_picks_one_per_skill_by_default():
    people = [candidate("UANA"), candidate("UBO"), candidate("UCY", skills={"billing": 2})]
    selection = choose_experts(["postgres", "billing"], people, severity="sev2", now=NOW)
    assert [(pick.skill, [e.slack_id for e in pick.chosen]) for pick in selection.picks] == [
        ("postgres", ["UANA"]),
        ("billing", ["UCY"]),
    ]
    assert [expert.slack_id for expert in selection.chosen] == ["UANA", "UCY"]


def test_choose_experts_never_picks_the_same_person_twice():
    people = [
        candidate("UANA", skills={"postgres": 3, "billing": 3}),
        candidate("UBO", skills={"postgres": 1, "billing": 1}),
    ]
    selection = choose_experts(["postgres", "billing"], people, severity="sev2", now=NOW)
    assert [expert.slack_id for expert in selection.chosen] == ["UANA", "UBO"]
    assert selection.picks[1].ranking.experts[1].reason == "pulled in for #postgres"


def test_the_scarcest_skill_chooses_first_so_its_only_expert_is_not_spent_elsewhere():
    people = [
        candidate("UANA", skills={"postgres": 3, "billing": 2}),
        candidate("UBO", skills={"postgres": 2}),
    ]
    selection = choose_experts(["postgres", "billing"], people, severity="sev3", now=NOW)
    assert [(pick.skill, [e.slack_id for e in pick.chosen]) for pick in selection.picks] == [
        ("postgres", ["UBO"]),
        ("billing", ["UANA"]),
    ]


def test_counts_override_the_default_per_skill():
    people = [candidate(f"U{n}") for n in range(4)]
    selection = choose_experts(["postgres"], people, severity="sev1", now=NOW, counts={"postgres": 3})
    assert [expert.slack_id for expert in selection.chosen] == ["U0", "U1", "U2"]


def test_a_short_skill_reports_how_many_are_missing():
    selection = choose_experts(
        ["postgres"], [candidate("UANA")], severity="sev1", now=NOW, counts={"postgres": 2}
    )
    (pick,) = selection.picks
    assert (len(pick.chosen), pick.short_by, pick.nobody_fits) == (1, 1, None)


def test_each_unfilled_skill_says_why_nobody_fits():
    people = [candidate("UANA"), candidate("UBO", skills={"billing": 2}, active=3)]
    selection = choose_experts(["postgres", "billing", "sre"], people, severity="sev1", now=NOW)
    assert [pick.nobody_fits for pick in selection.picks] == [
        None,
        "nobody with #billing is available: the only one is busy",
        "nobody has #sre",
    ]


def test_a_skill_taken_by_another_skills_pick_says_so():
    selection = choose_experts(
        ["postgres", "billing"],
        [candidate("UANA", skills={"postgres": 2, "billing": 2})],
        severity="sev1",
        now=NOW,
    )
    assert [pick.nobody_fits for pick in selection.picks] == [
        None,
        "nobody with #billing is available: the only one is already in the swarm",
    ]
    assert [expert.slack_id for expert in selection.picks[1].covered_by] == ["UANA"]


def test_choose_experts_leaves_out_people_already_in_the_swarm_and_repeated_skills():
    selection = choose_experts(
        ["postgres", "postgres"],
        [candidate("UANA"), candidate("UBO")],
        severity="sev3",
        now=NOW,
        exclude=frozenset({"UANA"}),
    )
    assert len(selection.picks) == 1
    assert [expert.slack_id for expert in selection.chosen] == ["UBO"]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown severity"):
        rank(candidate("UANA"), severity="sev5")
    with pytest.raises(ValueError, match="timezone-aware"):
        rank(candidate("UANA"), now=datetime(2026, 6, 1, 12, 0))
    with pytest.raises(ValueError, match="only once"):
        rank(candidate("UANA"), candidate("UANA"))
