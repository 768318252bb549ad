"""`members` roll-ups (SPEC section 3, Filters): each form, through the CLI and compiled.

The smallest world that tells the forms apart: o1 has three members, two of them admins
(66.67 %); o2 one member, an admin (100 %); o3 no members at all; o4 one member, no admin.
"""

from __future__ import annotations

import textwrap
from datetime import datetime

import pytest

from orgjourney_pipeline import journeys as language
from orgjourney_pipeline.journeys.compile import compile_relations
from orgjourney_pipeline.journeys.tables import RunJourney
from orgjourney_pipeline.journeys.templates import WindowContext
from orgjourney_reference.model import Inputs, Reference, World

DAY = "2026-01-05"
ADMIN = "{field: role, op: eq, value: admin}"


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}Z"


def filter_journey(journey_id: str, entry_filter: str) -> str:
    return (
        f"id: {journey_id}\nversion: 1\nstate: published\n"
        f"entry:\n  when: filter\n  filter: {entry_filter}\n"
        "steps:\n  - id: done\n    exit: {}\n"
    )


@pytest.fixture
def crm(scenario):
    scenario.orgs(*({"org_id": org, "name": org.upper()} for org in ("o1", "o2", "o3", "o4")))
    scenario.contacts(
        {"contact_id": "a1", "email": "a1@x.test", "role": "admin"},
        {"contact_id": "a2", "email": "a2@x.test", "role": "Admin"},
        {"contact_id": "u1", "email": "u1@x.test", "role": "user"},
        {"contact_id": "a3", "email": "a3@x.test", "role": "admin"},
        {"contact_id": "u2", "email": "u2@x.test", "role": "user"},
    )
    scenario.members(("a1", "o1"), ("a2", "o1"), ("u1", "o1"), ("a3", "o2"), ("u2", "o4"))
    return scenario


def entered(scenario, journey_id: str) -> list[str]:
    return [org for org, *_ in scenario.enrollments(journey_id)]


FORMS = [
    ("default_min", f"{{members: {{filter: {ADMIN}}}}}", ["o1", "o2"]),
    ("min_2", f"{{members: {{filter: {ADMIN}, min: 2}}}}", ["o1"]),
    ("all", f"{{members: {{filter: {ADMIN}, all: true}}}}", ["o2"]),
    ("not_all", f"{{not: {{members: {{filter: {ADMIN}, all: true}}}}}}", ["o1", "o3", "o4"]),
    # exactly: 2 x 100 = 200 < 66.67 x 3 = 200.01, and 200 >= 66.66 x 3 = 199.98
    ("percent_66_67", f"{{members: {{filter: {ADMIN}, min_percent: 66.67}}}}", ["o2"]),
    ("percent_66_66", f"{{members: {{filter: {ADMIN}, min_percent: 66.66}}}}", ["o1", "o2"]),
    ("percent_0", f"{{members: {{filter: {ADMIN}, min_percent: 0}}}}", ["o1", "o2", "o4"]),
    ("nobody_matches", "{members: {filter: {not: {field: role, op: is_set}}, all: true}}", []),
]


def test_each_members_form_matches_exactly_and_no_members_matches_none(crm):
    """One journey per form; o3 (no members) enters none, even `all` or 0 %."""
    for journey_id, entry_filter, _ in FORMS:
        crm.journey(filter_journey(journey_id.replace("_", "-"), entry_filter))
    crm.run(at("10:00"), at("09:00"))
    found = {journey_id: entered(crm, journey_id.replace("_", "-")) for journey_id, _, _ in FORMS}
    assert found == {journey_id: expected for journey_id, _, expected in FORMS}


def test_the_reference_model_reads_each_form_alike():
    """The differential tests' oracle, on the same world, gives the same organizations."""
    members = {"o1": ["a1", "a2", "u1"], "o2": ["a3"], "o4": ["u2"]}
    roles = {"a1": "admin", "a2": "Admin", "u1": "user", "a3": "admin", "u2": "user"}
    reference = Reference(Inputs([], [], {}, {"role": "text"}))
    reference.world = World(
        orgs={},
        org_snapshot_at=None,
        contacts={c: {"contact_id": c, "role": role, "tags": []} for c, role in roles.items()},
        members_of_org=members,
        orgs_of_contact={},
        subscriptions={},
        subscriptions_at=None,
    )
    clock = (datetime(2026, 1, 5, 10), datetime(2026, 1, 5).date())
    for journey_id, entry_filter, expected in FORMS:
        text = filter_journey(journey_id.replace("_", "-"), entry_filter)
        node = language.parse_journey_text(text, "j.yaml")[0].entry.filter
        found = [
            org
            for org in ("o1", "o2", "o3", "o4")
            if reference.evaluate(
                node, {"org_id": org}, reference.org_types, members.get(org, []), clock, None
            )
        ]
        assert found == expected, journey_id


def test_a_roll_up_counts_different_contacts_not_events(crm):
    """ "Two different contacts opened an email this week": o2's one admin opening twice is one."""
    crm.journey(
        filter_journey(
            "opened", "{members: {filter: {activity: email_opened, within_days: 7}, min: 2}}"
        )
    )
    crm.events(
        ("e1", "a1", "email_opened", at("08:00")),
        ("e2", "u1", "email_opened", "2026-01-01T12:00Z"),
        ("e3", "a3", "email_opened", at("08:10")),
        ("e4", "a3", "email_opened", at("08:20")),
        ("e5", "u2", "email_opened", "2025-12-20T12:00Z"),  # more than 7 days ago
    )
    crm.run(at("10:00"), at("09:00"))
    assert entered(crm, "opened") == ["o1"]


def test_members_are_those_as_of_the_run(crm):
    """a3 joins o4 at 10:30: o4 starts matching at the 11:00 run (an edge) and enters then."""
    crm.journey(filter_journey("admins", f"{{members: {{filter: {ADMIN}, min_percent: 50}}}}"))
    crm.members(
        *[("a1", "o1"), ("a2", "o1"), ("u1", "o1"), ("a3", "o2"), ("u2", "o4"), ("a3", "o4")],
        at=at("10:30"),
    )
    crm.run(at("11:00"), at("09:00"))
    assert crm.enrollments("admins") == [
        ("o1", "01-05T10:00", "completed", "completed"),
        ("o2", "01-05T10:00", "completed", "completed"),
        ("o4", "01-05T11:00", "completed", "completed"),
    ]


def test_a_condition_and_an_exit_filter_read_roll_ups(crm):
    """A condition branches on a roll-up; an exit filter on one ends the enrollment."""
    crm.journey(
        textwrap.dedent(
            f"""\
            id: branches
            version: 1
            state: published
            entry: {{when: activity, activity: purchase}}
            exit:
              filter: {{members: {{filter: {{tag: left}}}}}}
            steps:
              - id: check
                condition:
                  - if: {{members: {{filter: {ADMIN}, min: 2}}}}
                    goto: team
                  - else: solo
              - id: team
                update_org: {{field: kind, value: team}}
              - id: solo
                delay: {{hours: 2}}
            """
        )
    )
    crm.events(("e1", "a1", "purchase", at("09:30")), ("e2", "a3", "purchase", at("09:40")))
    crm.contacts(
        {"contact_id": "a1", "email": "a1@x.test", "role": "admin"},
        {"contact_id": "a2", "email": "a2@x.test", "role": "Admin"},
        {"contact_id": "u1", "email": "u1@x.test", "role": "user"},
        {"contact_id": "a3", "email": "a3@x.test", "role": "admin", "tags": ["left"]},
        {"contact_id": "u2", "email": "u2@x.test", "role": "user"},
        at=at("10:30"),
    )
    crm.run(at("11:00"), at("09:00"))
    steps = crm.rows(
        "select e.org_id, s.step_id, s.outcome from enrollment_steps s "
        "join enrollments e using (enrollment_id) order by e.org_id, s.reached_at, s.step_seq"
    )
    assert steps == [
        ("o1", "check", "goto:team"),
        ("o1", "team", "done"),
        ("o1", "solo", "waiting"),
        ("o2", "check", "goto:solo"),
        ("o2", "solo", "waiting"),
    ]
    # a3, o2's only member, is tagged `left` as of 11:00: o2 exits; o1 still waits
    assert crm.enrollments("branches") == [
        ("o1", "01-05T10:00", "active", None),
        ("o2", "01-05T10:00", "exited", "exit_criteria"),
    ]


# -- compiled set-wise ------------------------------------------------------------------------


def compiled(*texts: str):
    journeys = [language.parse_journey_text(textwrap.dedent(t), "j.yaml")[0] for t in texts]
    context = WindowContext(
        datetime(2026, 1, 5, 9),
        datetime(2026, 1, 5, 10),
        1,
        dict(language.BUILTIN_ORG_FIELDS),
        {**language.BUILTIN_CONTACT_FIELDS, "role": "text"},
    )
    run = [RunJourney(j, j.id, j.version, "published", None) for j in journeys]
    relations = compile_relations(run, {(j.id, j.version): j for j in journeys}, context)
    return relations["member_rollups"].sql("duckdb").lower()


def test_journeys_naming_one_contact_filter_share_one_grouped_pass():
    same = [filter_journey(f"j{n}", f"{{members: {{filter: {ADMIN}, min: {n}}}}}") for n in (1, 2)]
    other = filter_journey("k", "{members: {filter: {tag: vip}, all: true}}")
    assert compiled(*same).count("group by") == 1
    assert compiled(*same, other).count("group by") == 2


def test_without_roll_ups_the_window_computes_none():
    assert "memberships_at" not in compiled(filter_journey("plain", "{tag: vip}"))


# -- validation -------------------------------------------------------------------------------


def problems(entry_filter: str) -> list[tuple[int, str]]:
    text = filter_journey("bad", entry_filter)
    journey, found = language.parse_journey_text(text, "bad.yaml")
    assert journey is None
    return [(p.line, p.message) for p in found if p.severity == "error"]


@pytest.mark.parametrize(
    ("entry_filter", "message"),
    [
        (
            f"{{members: {{filter: {ADMIN}, min: 0}}}}",
            "entry.filter.members.min: must be at least 1",
        ),
        (f"{{members: {{filter: {ADMIN}, min: 1.5}}}}", "entry.filter.members.min: expected a who"),
        (
            f"{{members: {{filter: {ADMIN}, min_percent: 101}}}}",
            "entry.filter.members.min_percent: must be 0..100",
        ),
        (
            f"{{members: {{filter: {ADMIN}, min_percent: 33.33333}}}}",
            "entry.filter.members.min_percent: at most 4 decimal places",
        ),
        (
            f"{{members: {{filter: {ADMIN}, all: true, min: 2}}}}",
            "entry.filter.members: give one of min, all and min_percent, not",
        ),
        (f"{{members: {{filter: {ADMIN}, all: yes}}}}", "entry.filter.members.all: expected true"),
        ("{members: {min: 2}}", "entry.filter.members: 'filter' (a contact filter) is required"),
        (
            "{members: {filter: {field: role, op: equals, value: x}}}",
            "entry.filter.members.filter.op: 'equals' is not one of",
        ),
        (
            "{members: {filter: {activity: opened, since: entry}}}",
            "entry.filter.members.filter.since:",
        ),
        (
            "{members: {filter: {members: {filter: {tag: x}}}}}",
            "entry.filter.members.filter.members: a roll-up is an organization filter",
        ),
    ],
)
def test_a_bad_roll_up_is_a_problem_at_its_line(entry_filter, message):
    (found,) = problems(entry_filter)
    assert found[0] == 6
    assert found[1].startswith(message), found[1]


def test_an_unknown_contact_field_inside_a_roll_up_is_reported():
    text = filter_journey("bad", "{members: {filter: {field: rol, op: eq, value: a}}}")
    journey, _ = language.parse_journey_text(text, "bad.yaml")
    (problem,) = language.check_fields(journey, {}, {"role": "text"})
    assert (problem.line, problem.message) == (
        6,
        "entry.filter: unknown contact field 'rol' (did you mean 'role'?)",
    )


def test_a_roll_up_in_a_contact_filter_is_a_problem():
    text = filter_journey("bad", "{tag: x}") + "send_to: {filter: {members: {filter: {tag: x}}}}\n"
    journey, found = language.parse_journey_text(text, "bad.yaml")
    assert journey is None
    assert [(p.line, p.message.split(":")[0]) for p in found] == [(10, "send_to.filter.members")]


def test_a_roll_up_reads_back_from_its_canonical_definition():
    text = filter_journey("rt", f"{{members: {{filter: {ADMIN}, min_percent: 12.5}}}}")
    journey, _ = language.parse_journey_text(text, "rt.yaml")
    definition = journey.definition()
    assert definition["entry"]["filter"] == {
        "members": {"filter": {"field": "role", "op": "eq", "value": "admin"}, "min_percent": 12.5}
    }
    assert language.journey_from_definition(definition) == journey
