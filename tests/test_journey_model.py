"""The journey file format: YAML 1.2 reading, the typed model, and `file:line: message` problems.

Each test pins one rule of SPEC section 3. Problem lines are found from a marker in the YAML
text (`line_with`), so the texts read like the files users write.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

import duckdb
import jsonschema
import pytest
from click.testing import CliRunner

from orgjourney_pipeline import journeys as language
from orgjourney_pipeline.journeys import (
    ActivityCondition,
    AllOf,
    Condition,
    Delay,
    FieldCondition,
    Not,
    SendEmail,
    Split,
    TagCondition,
    WaitFor,
    filters,
    fusion,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = language.journey_files(ROOT / "data" / "journeys")
SCHEMA_PATH = ROOT / "journey.schema.json"

MINIMAL = """\
id: welcome
version: 1
entry: {when: tags, tags: [trial]}
steps:
  - id: hello
    send_email: {template: welcome-1}
"""


def parse(
    text: str, source: str = "j.yaml"
) -> tuple[language.Journey | None, list[language.Problem]]:
    return language.parse_journey_text(textwrap.dedent(text), source)


def journey(text: str) -> language.Journey:
    parsed, problems = parse(text)
    assert parsed is not None, [str(p) for p in problems]
    assert [p for p in problems if p.severity == "error"] == []
    return parsed


def errors(text: str) -> list[language.Problem]:
    parsed, problems = parse(text)
    found = [p for p in problems if p.severity == "error"]
    assert found, "expected a validation error"
    assert parsed is None, "a file with an error yields no journey"
    return found


def filter_entry(condition: str) -> str:
    """A journey whose entry filter, on line 5, is `condition`."""
    return f"id: t\nversion: 1\nentry:\n  when: filter\n  filter: {condition}\n"


def line_with(text: str, marker: str) -> int:
    """The 1-based line of the only line of `text` that contains `marker`."""
    lines = [i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if marker in line]
    assert len(lines) == 1, f"marker {marker!r} is on lines {lines}"
    return lines[0]


def with_steps(
    steps: str, head: str = "id: t\nversion: 1\nentry: {when: tags, tags: [a]}\n"
) -> str:
    return head + "steps:\n" + textwrap.indent(textwrap.dedent(steps), "  ")


# -- YAML 1.2 -------------------------------------------------------------------------------------


def test_on_is_a_plain_key_not_a_boolean():
    parsed = journey(
        """\
        id: digest
        version: 1
        entry:
          when: recurring
          every: week
          on: [monday, Friday]
          at: 08:00
        """
    )
    assert parsed.entry.on == ("monday", "friday")
    assert parsed.lines["entry.on"] == 6


def test_yes_and_no_are_strings_and_clock_times_stay_text():
    parsed = journey(
        """\
        id: t
        version: 1
        entry:
          when: anniversary
          field: signup_date
          at: 09:00
          filter:
            any:
              - {field: newsletter, op: eq, value: yes}
              - {field: newsletter, op: eq, value: no}
        """
    )
    assert parsed.entry.at == "09:00"
    assert [leaf.value for leaf in parsed.entry.filter.leaves()] == ["yes", "no"]


def test_true_and_false_are_still_booleans():
    parsed = journey(MINIMAL + "exit: {on_conversion: true}\nattribution: {activity: paid}\n")
    assert parsed.exit.on_conversion is True


# -- entry kinds ----------------------------------------------------------------------------------


ENTRY_CASES = [
    (
        "{when: filter, filter: {field: plan, op: eq, value: pro}}",
        {"filter": FieldCondition("plan", "eq", "pro")},
    ),
    (
        "{when: activity, activity: form_submitted, where: {form: demo, step: 2}}",
        {"activity": "form_submitted", "where": {"form": "demo", "step": 2}},
    ),
    (
        "{when: tags, tags: [vip, partner], match: all}",
        {"tags": ("vip", "partner"), "match": "all"},
    ),
    ("{when: tags, tags: [vip]}", {"tags": ("vip",), "match": "any"}),
    (
        "{when: approaching_date, field: renewal_date, days_before: 30}",
        {"field": "renewal_date", "days_before": 30},
    ),
    ("{when: anniversary, field: signup_date}", {"field": "signup_date", "at": "00:00"}),
    (
        "{when: anniversary, field: signup_date, at: '09:30'}",
        {"field": "signup_date", "at": "09:30"},
    ),
    ("{when: recurring, every: day, at: '07:00'}", {"every": "day", "at": "07:00"}),
    (
        "{when: recurring, every: week, on: [monday, friday], at: '08:00'}",
        {"every": "week", "on": ("monday", "friday"), "at": "08:00"},
    ),
    ("{when: recurring, every: month, day: 31}", {"every": "month", "day": 31, "at": "00:00"}),
    (
        "{when: tags, tags: [vip], filter: {tag: paying}}",
        {"tags": ("vip",), "filter": TagCondition("paying")},
    ),
]


@pytest.mark.parametrize(("entry", "expected"), ENTRY_CASES)
def test_every_entry_kind_parses_with_its_keys(entry, expected):
    parsed = journey(f"id: t\nversion: 1\nentry: {entry}\n")
    for key, value in expected.items():
        assert getattr(parsed.entry, key) == value, key


ENTRY_ERRORS = [
    ("{when: filter}", "entry.filter: required"),
    ("{when: activity}", "entry: 'activity' is required"),
    ("{when: tags}", "entry.tags: at least one tag is required"),
    ("{when: approaching_date, field: d}", "entry: 'days_before' is required"),
    ("{when: anniversary, field: d, at: '25:00'}", "entry.at: expected HH:MM, got '25:00'"),
    ("{when: recurring, every: week}", "entry.on: weekdays are required"),
    ("{when: recurring, every: week, on: [funday]}", "entry.on: 'funday' is not a weekday"),
    ("{when: recurring, every: month}", "entry.day: a day 1..31 is required"),
    ("{when: recurring, every: month, day: 32}", "entry.day: must be 1..31"),
    ("{when: recurring, every: day, on: [monday]}", "entry.on: only for every: week"),
    (
        "{when: recurring, every: week, on: [monday], day: 1}",
        "entry.day: only for every: month",
    ),
    (
        "{when: recurring, every: fortnight}",
        "every: 'fortnight' is not one of: day, week, month",
    ),
    ("{when: tags, tags: [a], days_before: 3}", "entry (tags): unknown key 'days_before'"),
]


@pytest.mark.parametrize(("entry", "message"), ENTRY_ERRORS)
def test_an_entry_without_its_keys_is_an_error_on_the_entry_line(entry, message):
    text = f"id: t\nversion: 1\nentry: {entry}\n"
    (problem,) = errors(text)
    assert message in problem.message
    assert problem.line == 3


# -- defaults -------------------------------------------------------------------------------------


def test_defaults_once_utc_everyone_global_draft():
    parsed = journey(MINIMAL)
    assert parsed.frequency == "once"
    assert parsed.timezone == "UTC"
    assert parsed.send_to is None  # everyone
    assert parsed.unsubscribe is None  # global
    assert parsed.state == "draft"
    assert parsed.exit is None and parsed.attribution is None
    assert parsed.name == "welcome"


def test_explicit_everyone_and_global_are_the_defaults():
    parsed = journey(MINIMAL + "send_to: everyone\nunsubscribe: global\n")
    assert parsed.send_to is None and parsed.unsubscribe is None
    assert journey(MINIMAL + "unsubscribe: {audience: newsletter}\n").unsubscribe == "newsletter"


def test_attribution_defaults_to_thirty_days():
    parsed = journey(MINIMAL + "attribution: {activity: purchase}\n")
    assert parsed.attribution == language.Attribution("purchase", 30, None)


# -- validation errors: the file, the line and the key ------------------------------------------


def test_unknown_top_level_key_suggests_the_near_one():
    text = MINIMAL + "frequncy: every_time\n"
    (problem,) = errors(text)
    assert (problem.file, problem.line) == ("j.yaml", line_with(text, "frequncy"))
    assert "unknown key 'frequncy'" in problem.message
    assert "did you mean 'frequency'?" in problem.message
    assert str(problem) == f"j.yaml:{problem.line}: {problem.message}"


@pytest.mark.parametrize("bad_id", ["Renewal", "renewal reminder", "renewal.reminder", "é"])
def test_an_id_outside_the_pattern_is_an_error(bad_id):
    text = MINIMAL.replace("id: welcome", f"id: '{bad_id}'")
    (problem,) = errors(text)
    assert problem.line == 1
    assert problem.message.startswith("id: ")
    assert "a-z, 0-9, '_' and '-'" in problem.message


def test_a_missing_version_is_an_error():
    (problem,) = errors(MINIMAL.replace("version: 1\n", ""))
    assert "'version' is required" in problem.message


@pytest.mark.parametrize("version", ["0", "1.5", "two", "true"])
def test_a_version_must_be_a_whole_number_from_one(version):
    text = MINIMAL.replace("version: 1", f"version: {version}")
    (problem,) = errors(text)
    assert (problem.line, problem.message) == (2, "version: expected a whole number >= 1")


def test_an_unknown_state_is_an_error_on_its_line():
    text = MINIMAL + "state: live\n"
    (problem,) = errors(text)
    assert problem.line == line_with(text, "state:")
    assert "state: 'live' is not one of: draft, published, paused, archived" in problem.message


def test_an_unknown_frequency_is_an_error_with_a_suggestion():
    text = MINIMAL + "frequency: once_a_time\n"
    (problem,) = errors(text)
    assert problem.line == line_with(text, "frequency:")
    assert "did you mean 'once_at_a_time'?" in problem.message


def test_an_unknown_entry_kind_is_an_error_on_the_when_line():
    text = """\
    id: t
    version: 1
    entry:
      when: activty
      activity: x
    """
    (problem,) = errors(text)
    assert problem.line == line_with(text, "when:")
    assert "entry.when: 'activty' is not one of" in problem.message
    assert "did you mean 'activity'?" in problem.message


def test_a_missing_entry_is_an_error():
    (problem,) = errors("id: t\nversion: 1\n")
    assert "'entry' is required" in problem.message


def test_an_unknown_op_is_an_error_on_the_op_line():
    text = """\
    id: t
    version: 1
    entry:
      when: filter
      filter:
        all:
          - {tag: vip}
          - field: plan
            op: equals
            value: pro
    """
    (problem,) = errors(text)
    assert problem.line == line_with(text, "op: equals")
    assert "entry.filter.all[1].op: 'equals' is not one of: eq, ne" in problem.message


def test_in_without_a_list_is_an_error_on_the_value_line():
    text = """\
    id: t
    version: 1
    entry:
      when: filter
      filter:
        field: tier
        op: in
        value: gold
    """
    (problem,) = errors(text)
    assert problem.line == line_with(text, "value: gold")
    assert problem.message == "entry.filter.value: 'in' needs a list"


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("{field: plan, op: eq}", "op 'eq' needs a `value`"),
        ("{field: plan, value: pro}", "'op' is required"),
        ("{tag: [a, b]}", "entry.filter.tag: expected a tag name"),
        ("{tags: vip}", "a filter is {field, op, value}, {tag}"),
        ("{field: plan, op: eq, value: pro, extra: 1}", "unknown key 'extra'"),
        ("{all: []}", "entry.filter.all: expected a non-empty list of filters"),
        ("{activity: opened, min_count: 0}", "min_count: must be at least 1"),
        ("{activity: opened, since: yesterday}", "since: only `entry` is supported"),
        ("{field: d, op: within_last_days, value: soon}", "needs a number of days"),
    ],
)
def test_a_malformed_filter_is_an_error_naming_the_key(condition, message):
    text = filter_entry(condition)
    (problem,) = errors(text)
    assert problem.line == 5
    assert message in problem.message


def test_since_entry_is_an_error_in_an_entry_filter():
    text = """\
    id: t
    version: 1
    entry:
      when: filter
      filter:
        not: {activity: purchase, since: entry}
    """
    (problem,) = errors(text)
    assert problem.line == line_with(text, "since: entry")
    assert (
        problem.message
    ) == "entry.filter.not.since: `since: entry` is only allowed inside steps and exit"


def test_since_entry_is_an_error_in_send_to():
    text = MINIMAL + "send_to:\n  filter: {activity: opened, since: entry}\n"
    (problem,) = errors(text)
    assert problem.line == line_with(text, "since: entry")
    assert problem.message.startswith("send_to.filter.since:")


def test_since_entry_is_allowed_in_exit_and_conditions():
    parsed = journey(
        """\
        id: t
        version: 1
        entry: {when: tags, tags: [a]}
        exit:
          filter: {activity: purchase, since: entry}
        steps:
          - id: check
            condition:
              - if: {activity: email_opened, since: entry, min_count: 2}
                goto: done
              - else: done
          - id: done
            exit: {}
        """
    )
    assert parsed.exit.filter == ActivityCondition("purchase", since="entry")
    assert parsed.steps[0].branches[0][0] == ActivityCondition(
        "email_opened", min_count=2, since="entry"
    )


# -- steps ----------------------------------------------------------------------------------------


def test_every_action_parses_to_its_step():
    parsed = journey(
        with_steps(
            """\
            - id: mail
              send_email: {template: hi}
              send_to: {filter: {field: email, op: is_set}}
            - id: text
              send_sms: {template: hi-sms}
            - id: pause
              delay: {hours: 2}
            - id: morning
              delay: {until: "09:00", weekdays: [Monday, tuesday]}
            - id: wait
              wait_for: {activity: clicked, where: {link: a}, timeout: {days: 3}}
              then: branch
              else: pick
            - id: branch
              condition:
                - if: {tag: vip}
                  goto: pick
                - else: tag
            - id: pick
              split:
                - {percent: 30, goto: tag}
                - {percent: 70, goto: update}
            - id: tag
              tag_org: {add: [warm], remove: [cold]}
            - id: update
              update_org: {field: engagement, value: warm}
            - id: bye
              exit: {}
            """
        )
    )
    actions = [step.ACTION for step in parsed.steps]
    assert actions == [
        "send_email",
        "send_sms",
        "delay",
        "delay",
        "wait_for",
        "condition",
        "split",
        "tag_org",
        "update_org",
        "exit",
    ]
    mail, _, pause, morning, wait, branch, pick, tag, update, _ = parsed.steps
    assert mail.send_to == FieldCondition("email", "is_set")
    assert pause == Delay("pause", hours=2)
    assert morning == Delay("morning", until="09:00", weekdays=("monday", "tuesday"))
    assert wait == WaitFor(
        "wait", "clicked", language.Duration(days=3), {"link": "a"}, then="branch", else_="pick"
    )
    assert branch == Condition("branch", ((TagCondition("vip"), "pick"),), else_="tag")
    assert pick == Split("pick", ((30, "tag"), (70, "update")))
    assert (tag.add, tag.remove) == (("warm",), ("cold",))
    assert (update.field, update.value) == ("engagement", "warm")


def test_an_unknown_action_is_an_error_with_a_suggestion():
    text = with_steps("- id: hello\n  send_mail: {template: x}\n")
    (problem,) = errors(text)
    assert problem.line == line_with(text, "send_mail")
    assert problem.message == "step 'hello': unknown key 'send_mail' (did you mean 'send_email'?)"


def test_two_actions_in_one_step_is_an_error():
    text = with_steps("- id: hello\n  send_email: {template: x}\n  send_sms: {template: y}\n")
    (problem,) = errors(text)
    assert problem.line == line_with(text, "send_sms")
    assert problem.message == "step 'hello': needs exactly one action, found send_email, send_sms"


def test_a_step_without_an_action_is_an_error():
    text = with_steps("- id: hello\n  next: end\n")
    (problem,) = errors(text)
    assert problem.line == line_with(text, "id: hello")
    assert "needs exactly one action, found none" in problem.message


def test_a_duplicate_step_id_is_an_error_on_the_second():
    text = with_steps("- id: hello\n  send_email: {template: x}\n- id: hello\n  exit: {}\n")
    (problem,) = errors(text)
    first, second = (i for i, line in enumerate(text.splitlines(), 1) if "id: hello" in line)
    assert problem.line == second
    assert problem.message == f"steps[1].id: 'hello' is already used at line {first}"


@pytest.mark.parametrize(
    ("steps", "marker", "message"),
    [
        (
            "- id: a\n  send_email: {template: x}\n  next: nowhere\n",
            "next: nowhere",
            "step 'a' next: no step with id 'nowhere'",
        ),
        (
            "- id: a\n  condition:\n    - if: {tag: x}\n      goto: b\n    - else: end\n"
            "- id: c\n  exit: {}\n",
            "goto: b",
            "step 'a' goto: no step with id 'b'",
        ),
        (
            "- id: a\n  condition:\n    - if: {tag: x}\n      goto: end\n    - else: cc\n"
            "- id: c\n  exit: {}\n",
            "else: cc",
            "step 'a' else: no step with id 'cc' (did you mean 'c'?)",
        ),
        (
            "- id: a\n  wait_for: {activity: x, timeout: {days: 1}}\n  then: yes_branch\n",
            "then:",
            "step 'a' then: no step with id 'yes_branch'",
        ),
        (
            "- id: a\n  wait_for: {activity: x, timeout: {days: 1}}\n  else: no_branch\n",
            "else:",
            "step 'a' else: no step with id 'no_branch'",
        ),
        (
            "- id: a\n  split:\n    - {percent: 50, goto: end}\n    - {percent: 50, goto: b}\n",
            "goto: b",
            "step 'a' goto: no step with id 'b'",
        ),
    ],
)
def test_a_transition_to_a_missing_step_is_an_error_on_its_line(steps, marker, message):
    text = with_steps(steps)
    (problem,) = errors(text)
    assert problem.line == line_with(text, marker)
    assert problem.message.startswith(message)


def test_next_end_is_always_a_valid_target():
    parsed = journey(with_steps("- id: a\n  send_email: {template: x}\n  next: end\n"))
    assert parsed.steps[0].next == "end"


@pytest.mark.parametrize(
    "branches",
    [
        "- {percent: 50, goto: a}\n    - {percent: 40, goto: a}",
        "- {percent: 50.5, goto: a}\n    - {percent: 49.5, goto: a}",
        "- {percent: 60, goto: a}\n    - {percent: 50, goto: a}",
    ],
)
def test_split_percents_must_be_whole_and_add_up_to_100(branches):
    text = with_steps(f"- id: s\n  split:\n    {branches}\n- id: a\n  exit: {{}}\n")
    (problem,) = errors(text)
    assert problem.line == line_with(text, "split:")
    assert "step 's'.split: whole percents must add up to 100" in problem.message


def test_a_delay_with_both_a_duration_and_until_is_an_error():
    text = with_steps("- id: wait\n  delay: {days: 1, until: '09:00'}\n")
    (problem,) = errors(text)
    assert problem.line == line_with(text, "delay:")
    assert problem.message == "step 'wait'.delay: give minutes/hours/days or until, not both"


@pytest.mark.parametrize(
    ("delay", "message"),
    [
        ("{}", "give minutes, hours or days, or until"),
        ("{days: -1}", "days: must be at least 0"),
        ("{weeks: 1}", "unknown key 'weeks'"),
        ("{until: '9am'}", "until: expected HH:MM, got '9am'"),
        ("{days: 1, weekdays: [monday]}", "weekdays: needs `until`"),
        ("{until: '09:00', weekdays: [someday]}", "'someday' is not a weekday"),
    ],
)
def test_a_malformed_delay_is_an_error(delay, message):
    text = with_steps(f"- id: wait\n  delay: {delay}\n")
    (problem,) = errors(text)
    assert problem.line == line_with(text, "delay:")
    assert message in problem.message


def test_a_wait_for_needs_a_timeout():
    text = with_steps("- id: wait\n  wait_for: {activity: clicked}\n")
    (problem,) = errors(text)
    assert "'timeout' is required" in problem.message


def test_a_cycle_without_a_wait_is_an_error_naming_the_cycle():
    text = with_steps(
        """\
        - id: start
          send_email: {template: x}
        - id: mark
          tag_org: {add: [seen]}
        - id: check
          condition:
            - if: {tag: vip}
              goto: mark
            - else: end
        """
    )
    (problem,) = errors(text)
    assert problem.line == line_with(text, "id: mark")
    assert problem.message == "steps: mark -> check -> mark can loop without a delay or wait"


def test_a_split_back_to_itself_is_a_cycle():
    text = with_steps(
        "- id: s\n  split:\n    - {percent: 50, goto: s}\n    - {percent: 50, goto: end}\n"
    )
    (problem,) = errors(text)
    assert problem.message == "steps: s -> s can loop without a delay or wait"


def test_a_cycle_through_a_delay_or_a_wait_is_fine():
    journey(
        with_steps(
            """\
            - id: start
              send_email: {template: x}
            - id: pause
              delay: {days: 7}
              next: start
            """
        )
    )
    journey(
        with_steps(
            """\
            - id: start
              send_email: {template: x}
            - id: wait
              wait_for: {activity: clicked, timeout: {days: 1}}
              then: end
              else: start
            """
        )
    )


def test_an_unreachable_step_is_a_warning_not_an_error():
    text = with_steps(
        """\
        - id: a
          send_email: {template: x}
          next: end
        - id: orphan
          send_email: {template: y}
        """
    )
    parsed, problems = parse(text)
    assert parsed is not None
    (warning,) = problems
    assert warning.severity == "warning"
    assert warning.line == line_with(text, "id: orphan")
    assert "step 'orphan' is unreachable" in warning.message


def test_update_org_cannot_set_a_built_in_field():
    text = with_steps("- id: u\n  update_org: {field: name, value: x}\n")
    (problem,) = errors(text)
    assert "'name' is built in" in problem.message


def test_on_conversion_needs_attribution():
    text = MINIMAL + "exit: {on_conversion: true}\n"
    (problem,) = errors(text)
    assert problem.line == line_with(text, "exit:")
    assert "exit.on_conversion: needs an `attribution`" in problem.message


# -- timezone and YAML syntax ---------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Mars/Olympus", "utc+2", "../etc/passwd", "''"])
def test_an_invalid_timezone_is_an_error(zone):
    text = MINIMAL + f"timezone: {zone}\n"
    problems = errors(text)
    assert problems[0].line == line_with(text, "timezone:")
    assert problems[0].message.startswith("timezone: ")


def test_a_valid_timezone_is_kept():
    assert journey(MINIMAL + "timezone: America/New_York\n").timezone == "America/New_York"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (MINIMAL + "steps_extra: [a, b\n", 7),  # where the bracket opened
        ("id: t\nversion: 1\nentry:\n  when: tags\n tags: [a]\n", 5),
        ("id: t\nversion: 1\nid: u\n", 3),
        ("id: t\nversion: 1\nentry: {when: tags, tags: [a}\n", 3),
    ],
)
def test_invalid_yaml_reports_the_line_of_the_syntax_error(text, line):
    (problem,) = errors(text)
    assert problem.line == line
    assert problem.message.startswith("not valid YAML: ")


@pytest.mark.parametrize(
    ("text", "line", "explanation", "quoted", "caret"),
    [
        (
            "id: t\nversion: 1\n\tstate: draft\n",
            3,
            "a tab here: YAML indents with spaces",
            "→state: draft",
            0,
        ),
        (
            "id: t\nname: [open\nversion: 1\n",
            2,
            "the '[' opened here is never closed",
            "name: [open",
            6,
        ),
        ("id: t\nname: {a: 1\n", 2, "the '{' opened here is never closed", "name: {a: 1", 6),
        (
            "id: t\nname: 'open\nversion: 1\n",
            2,
            "the quote opened here is never closed",
            "name: 'open",
            6,
        ),
        (
            "id: t\nentry:\n  when: tags\n tags: [a]\n",
            4,
            "this line is indented differently",
            " tags: [a]",
            1,
        ),
        (
            "id: t\nname: a: b\n",
            2,
            "a ': ' inside a value: put the value in quotes",
            "name: a: b",
            7,
        ),
        ("id: t\nname: @x\n", 2, "a value cannot start with '@'", "name: @x", 6),
    ],
)
def test_a_yaml_syntax_error_is_told_in_plain_words_with_the_line_and_a_caret(
    text, line, explanation, quoted, caret
):
    (problem,) = errors(text)
    first, shown, marker = problem.message.split("\n")
    assert problem.line == line
    assert first.startswith(f"not valid YAML: {explanation}")
    assert shown == f"    {quoted}"
    assert marker == "    " + " " * caret + "^"


def test_a_file_that_is_not_a_mapping_is_an_error():
    (problem,) = errors("- id: t\n")
    assert problem.message.startswith("a journey file holds a mapping")


# -- bounds: numbers and YAML aliases -------------------------------------------------------------

# (text in RICH, its replacement, the problem's message); the replacement is on the problem's line
OUT_OF_BOUNDS = [
    ("version: 3", "version: 2147483648", "version: must be 1..2147483647"),
    ("days_before: 30", "days_before: 36501", "entry.days_before: must be 0..36500"),
    ("within_days: 14}", "within_days: 1e308}", "attribution.within_days: must be 0..36500"),
    ("{hours: 36}", "{hours: 876001}", "step 'wait'.wait_for.timeout.hours: must be 0..876000"),
    ("{hours: 36}", "{minutes: 52560001}", "timeout.minutes: must be 0..52560000"),
    ("{hours: 36}", "{days: .inf}", "timeout.days: must be 0..36500"),
    (
        "{activity: opened, within_days: 30}",
        "{activity: opened, min_count: 2147483648}",
        "send_to.filter.any[1].min_count: must be 1..2147483647",
    ),
    ("{percent: 25, goto: tag}", "{percent: 125, goto: tag}", "split[0].percent: must be 0..100"),
]
AT_THE_BOUNDS = [
    ("version: 3", "version: 2147483647"),
    ("days_before: 30", "days_before: 36500"),
    ("within_days: 14}", "within_days: 36500}"),
    ("{hours: 36}", "{minutes: 52560000, hours: 876000, days: 36500}"),
    ("{activity: opened, within_days: 30}", "{activity: opened, min_count: 2147483647}"),
]


@pytest.mark.parametrize(("old", "new", "message"), OUT_OF_BOUNDS)
def test_a_number_out_of_bounds_is_an_error_on_its_line(old, new, message):
    text = RICH.replace(old, new)
    (problem,) = errors(text)
    assert problem.line == line_with(text, new)
    assert message in problem.message


@pytest.mark.parametrize(("old", "new"), AT_THE_BOUNDS)
def test_a_number_at_its_bound_is_fine(old, new):
    assert journey(RICH.replace(old, new))


@pytest.mark.parametrize("value", ["36501", ".nan"])
def test_a_within_days_filter_value_is_bounded(value):
    condition = f"{{field: d, op: within_last_days, value: {value}}}"
    text = filter_entry(condition)
    (problem,) = errors(text)
    assert (problem.line, problem.message) == (5, "entry.filter.value: must be 0..36500")


def test_the_numbers_bounds_are_the_schemas():
    properties, definitions = schema()["properties"], schema()["$defs"]
    step = {option["title"]: option for option in definitions["step"]["oneOf"]}
    split = step["split"]["properties"]["split"]["items"]["properties"]
    in_schema = {
        "version": properties["version"],
        "min_count": definitions["activityCondition"]["properties"]["min_count"],
        "min": definitions["membersCondition"]["properties"]["members"]["properties"]["min"],
        "min_percent": definitions["membersCondition"]["properties"]["members"]["properties"][
            "min_percent"
        ],
        "percent": split["percent"],
        "day": definitions["entry"]["properties"]["day"],
        "days_before": definitions["entry"]["properties"]["days_before"],
        "within_days": definitions["days"],
        "days": definitions["days"],
        "hours": definitions["hours"],
        "minutes": definitions["minutes"],
        "priority": properties["priority"],
        "max": json.loads((ROOT / "delivery.schema.json").read_text())["properties"]["caps"][
            "items"
        ]["properties"]["max"],
    }
    assert {key: (s["minimum"], s["maximum"]) for key, s in in_schema.items()} == dict(
        language.NUMBER_BOUNDS
    )


@pytest.mark.parametrize(("old", "new", "message"), [c for c in OUT_OF_BOUNDS if "inf" not in c[1]])
def test_the_schema_rejects_the_numbers_the_model_rejects(old, new, message):
    assert list(_validator().iter_errors(_yaml_data(RICH.replace(old, new)))) != [], message


@pytest.mark.parametrize(("old", "new"), AT_THE_BOUNDS)
def test_the_schema_accepts_the_numbers_at_their_bounds(old, new):
    assert list(_validator().iter_errors(_yaml_data(RICH.replace(old, new)))) == []


def test_small_anchors_can_be_reused():
    text = """\
id: t
version: 1
entry:
  when: filter
  filter: &paying {field: plan, op: in, value: &plans [pro, team, enterprise]}
exit:
  filter: {not: *paying}
steps:
  - id: hello
    send_email: {template: welcome-1}
  - id: check
    condition:
      - if: {all: [*paying, {field: seats, op: in, value: *plans}]}
        goto: hello2
      - else: end
  - id: hello2
    send_email: {template: welcome-2}
"""
    parsed = journey(text)
    assert parsed.exit.filter.item == parsed.entry.filter
    assert parsed.steps[1].branches[0][0].items[1].value == ("pro", "team", "enterprise")


def test_aliases_that_repeat_too_many_values_are_an_error_on_the_alias_line():
    text = """\
id: t
version: 1
entry: {when: tags, tags: [a]}
description:
  - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]
  - &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
  - &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
  - &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
  - &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
  - &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
  - &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
  - &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]
  - &a8 [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]
"""
    (problem,) = errors(text)
    assert problem.line == line_with(text, "&a3")
    assert problem.message.startswith("alias '*a2': the aliases up to here repeat ")
    assert problem.message.endswith(
        f"more than the {language.MAX_ALIAS_VALUES} a journey file may repeat"
    )
    assert problem.journey_id == "t"  # so the run stops that journey by its id


def test_an_alias_inside_its_own_anchor_is_an_error():
    text = "id: t\nversion: 1\nentry: {when: tags, tags: [a]}\ndescription: &d [x, [y, *d]]\n"
    (problem,) = errors(text)
    assert (problem.line, problem.message) == (4, "alias '*d': refers to a value that contains it")


# -- check_fields ---------------------------------------------------------------------------------

ORG_FIELDS = {
    **language.BUILTIN_ORG_FIELDS,
    "tier": "text",
    "seats": "number",
    "renewal_date": "date",
}
CONTACT_FIELDS = {**language.BUILTIN_CONTACT_FIELDS, "role": "text"}


def field_problems(text: str, org=ORG_FIELDS, contacts=CONTACT_FIELDS) -> list[language.Problem]:
    return language.check_fields(journey(text), org, contacts)


def test_an_unknown_org_field_is_reported_with_a_suggestion():
    text = """\
    id: t
    version: 1
    entry:
      when: filter
      filter:
        all:
          - {tag: vip}
          - {field: tierr, op: eq, value: gold}
    """
    (problem,) = field_problems(text)
    assert (problem.file, problem.line) == ("j.yaml", line_with(text, "tierr"))
    assert (
        problem.message == "entry.filter: unknown organization field 'tierr' (did you mean 'tier'?)"
    )


def test_an_unknown_contact_field_in_send_to_is_reported():
    text = MINIMAL + "send_to:\n  filter: {field: rol, op: eq, value: admin}\n"
    (problem,) = field_problems(text)
    assert problem.line == line_with(text, "rol,")
    assert problem.message == "send_to: unknown contact field 'rol' (did you mean 'role'?)"


def test_an_unknown_field_in_a_step_is_reported_with_the_step():
    text = with_steps(
        """\
        - id: check
          condition:
            - if: {field: sets, op: gt, value: 10}
              goto: end
        - id: mail
          send_email: {template: x}
          send_to: {filter: {field: emial, op: is_set}}
        """
    )
    org, contact = field_problems(text)
    assert org.line == line_with(text, "sets")
    assert org.message.startswith("step 'check' condition: unknown organization field 'sets'")
    assert contact.line == line_with(text, "emial")
    assert contact.message.startswith("step 'mail' send_to: unknown contact field 'emial'")


def test_unknown_fields_are_not_judged_without_a_warehouse_but_built_ins_are_typed():
    text = """\
    id: t
    version: 1
    entry:
      when: filter
      filter:
        all:
          - {field: tierr, op: eq, value: gold}
          - {field: name, op: within_last_days, value: 3}
          - {field: created_at, op: gt, value: not-a-time}
    """
    problems = language.check_fields(journey(text), None, None)
    assert [(p.line, p.message) for p in problems] == [
        (
            line_with(text, "within_last_days"),
            "entry.filter: 'within_last_days' needs a date or timestamp field; 'name' is text",
        ),
        (
            line_with(text, "not-a-time"),
            "entry.filter: value 'not-a-time' is not a timestamp (the type of 'created_at')",
        ),
    ]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("{field: tier, op: within_next_days, value: 3}", "'within_next_days' needs a date"),
        ("{field: seats, op: within_last_days, value: 3}", "'seats' is number"),
        ("{field: tags, op: lt, value: a}", "'lt' does not apply to the list field 'tags'"),
        ("{field: seats, op: contains, value: 1}", "'contains' needs a text field"),
        ("{field: seats, op: gte, value: many}", "value 'many' is not a number"),
        ("{field: seats, op: in, value: [1, lots]}", "value 'lots' is not a number"),
        ("{field: renewal_date, op: lt, value: soon}", "value 'soon' is not a date"),
    ],
)
def test_an_op_that_does_not_fit_the_field_type_is_an_error(condition, message):
    text = filter_entry(condition)
    (problem,) = field_problems(text)
    assert problem.line == 5
    assert message in problem.message


@pytest.mark.parametrize(
    "condition",
    [
        "{field: renewal_date, op: within_next_days, value: 30}",
        "{field: created_at, op: within_last_days, value: 7}",
        "{field: seats, op: gte, value: 150}",
        "{field: seats, op: in, value: [1, 2.5]}",
        "{field: renewal_date, op: lt, value: 2026-03-01}",
        "{field: created_at, op: gt, value: '2026-01-05T10:00:00+02:00'}",
        "{field: tags, op: contains, value: vip}",
        "{field: tier, op: starts_with, value: go}",
        "{field: engagement, op: eq, value: warm}",  # set by a step
    ],
)
def test_conditions_that_fit_their_field_types_are_fine(condition):
    text = filter_entry(condition)
    text += "steps:\n  - id: u\n    update_org: {field: engagement, value: warm}\n"
    assert field_problems(text) == []


def test_approaching_date_on_a_field_that_is_not_a_date_is_an_error():
    text = "id: t\nversion: 1\nentry:\n  when: approaching_date\n  field: tier\n  days_before: 3\n"
    (problem,) = field_problems(text)
    assert problem.line == line_with(text, "field: tier")
    assert problem.message == "entry.field: 'tier' is text, not a date"
    (builtin,) = language.check_fields(journey(text.replace("tier", "name")), None, None)
    assert builtin.message == "entry.field: 'name' is text, not a date"


def test_an_unknown_entry_field_is_reported_with_a_suggestion():
    text = "id: t\nversion: 1\nentry:\n  when: anniversary\n  field: renewal_dat\n"
    (problem,) = field_problems(text)
    assert problem.line == 5
    assert problem.message == (
        "entry.field: unknown organization field 'renewal_dat' (did you mean 'renewal_date'?)"
    )
    assert language.check_fields(journey(text), None, None) == []


# -- the canonical definition ---------------------------------------------------------------------

RICH = """\
# A journey that uses most of the grammar.
id: rich
name: Rich
version: 3
state: published
timezone: Europe/Berlin
entry:
  when: approaching_date
  field: renewal_date
  days_before: 30
  filter: {all: [{field: plan, op: ne, value: free}, {not: {tag: churned}}]}
frequency: once_at_a_time
exit:
  filter: {activity: purchase, since: entry, where: {plan: pro}}
  on_conversion: true
send_to:
  filter: {any: [{field: email, op: is_set}, {activity: opened, within_days: 30}]}
unsubscribe: {audience: renewals}
attribution: {activity: renewal_paid, within_days: 14}
steps:
  - id: notice
    send_email: {template: renewal-30d}
  - id: wait
    wait_for: {activity: clicked, timeout: {hours: 36}}
    then: check
    else: nudge
  - id: nudge
    send_sms: {template: renewal-sms}
    send_to: {filter: {field: sms_opt_in, op: eq, value: true}}
  - id: check
    condition:
      - if: {field: seats, op: in, value: [10, 20]}
        goto: split
      - else: done
  - id: split
    split:
      - {percent: 25, goto: tag}
      - {percent: 75, goto: done}
  - id: tag
    tag_org: {add: [renewing]}
  - id: later
    delay: {until: "09:00", weekdays: [monday]}
  - id: done
    update_org: {field: engagement, value: warm}
"""


def test_the_definition_excludes_state():
    definition = journey(RICH).definition()
    assert "state" not in definition
    paused = journey(RICH.replace("state: published", "state: paused"))
    assert paused.definition_hash() == journey(RICH).definition_hash()


def test_the_definition_is_plain_json_with_every_default():
    definition = journey(MINIMAL).definition()
    assert json.loads(json.dumps(definition)) == definition
    assert definition == {
        "id": "welcome",
        "name": "welcome",
        "version": 1,
        "timezone": "UTC",
        "entry": {"when": "tags", "tags": ["trial"], "match": "any"},
        "frequency": "once",
        "send_to": "everyone",
        "unsubscribe": "global",
        "steps": [{"id": "hello", "send_email": {"template": "welcome-1"}}],
    }


def test_key_order_comments_quoting_and_explicit_defaults_do_not_change_the_hash():
    plain = journey(MINIMAL)
    rewritten = journey(
        """\
        # the same journey, written differently
        steps:
          - send_email: {template: "welcome-1"}   # first message
            id: hello
        entry: {tags: trial, match: any, when: tags}
        name: welcome
        version: 1
        frequency: once
        timezone: UTC
        send_to: everyone
        unsubscribe: global
        exit: {}
        id: welcome
        """
    )
    assert rewritten.definition_hash() == plain.definition_hash()
    assert rewritten.definition() == plain.definition()


def test_explicit_defaults_inside_filters_and_steps_do_not_change_the_hash():
    one = journey(MINIMAL + "exit: {filter: {activity: purchase}}\nattribution: {activity: p}\n")
    two = journey(
        MINIMAL.replace("{template: welcome-1}", "{template: welcome-1}\n    next: null")
        + "exit: {filter: {activity: purchase, min_count: 1}, on_conversion: false}\n"
        + "attribution: {activity: p, within_days: 30.0}\n"
    )
    assert one.definition_hash() == two.definition_hash()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("template: renewal-30d", "template: renewal-30d-v2"),
        ("timeout: {hours: 36}", "timeout: {hours: 48}"),
        ("{percent: 25, goto: tag}", "{percent: 25, goto: done}"),
        ("value: [10, 20]", "value: [10, 30]"),
        ("weekdays: [monday]", "weekdays: [tuesday]"),
        ("name: Rich", "name: Richer"),
        ("days_before: 30", "days_before: 29"),
    ],
)
def test_a_changed_definition_changes_the_hash(old, new):
    assert RICH.count(old) == 1
    assert journey(RICH.replace(old, new)).definition_hash() != journey(RICH).definition_hash()


@pytest.mark.parametrize("path", EXAMPLES + ["rich"], ids=lambda p: getattr(p, "stem", p))
def test_journey_from_definition_round_trips(path):
    original = journey(RICH) if path == "rich" else language.load_journey(path)[0]
    stored = json.loads(json.dumps(original.definition(), sort_keys=True))
    restored = language.journey_from_definition(stored)
    assert restored == dataclasses.replace(original, state="published")
    assert restored.definition() == original.definition()
    assert restored.definition_hash() == original.definition_hash()


def test_journey_from_definition_raises_on_an_invalid_definition():
    with pytest.raises(ValueError, match="'version' is required"):
        language.journey_from_definition({"id": "x", "entry": {"when": "tags", "tags": ["a"]}})


def test_the_parsed_tree_keeps_filter_structure():
    parsed = journey(RICH)
    assert parsed.entry.filter == AllOf(
        (FieldCondition("plan", "ne", "free"), Not(TagCondition("churned")))
    )
    assert isinstance(parsed.steps[0], SendEmail)


# -- folders --------------------------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_duplicate_id_across_files_is_an_error_on_the_second_file(tmp_path):
    write(tmp_path, "a.yaml", MINIMAL)
    second = write(tmp_path, "b.yml", "# copy\n" + MINIMAL)
    write(tmp_path, "notes.txt", "not a journey")
    journeys, problems = language.load_journeys(tmp_path)
    assert [j.source for j in journeys] == [str(tmp_path / "a.yaml")]
    (problem,) = problems
    assert (problem.file, problem.line) == (str(second), 2)
    assert problem.message == f"id: journey 'welcome' is already defined in {tmp_path / 'a.yaml'}"


def test_a_broken_file_stops_only_itself(tmp_path):
    write(tmp_path, "good.yaml", MINIMAL)
    write(tmp_path, "bad.yaml", MINIMAL.replace("welcome", "other") + "state: live\n")
    journeys, problems = language.load_journeys(tmp_path)
    assert [j.id for j in journeys] == ["welcome"]
    assert [(Path(p.file).name, p.journey_id) for p in problems] == [("bad.yaml", "other")]


def test_hidden_files_are_not_journeys(tmp_path):
    write(tmp_path, "welcome.yaml", MINIMAL)
    (tmp_path / "._welcome.yaml").write_bytes(b"\x00\x05\x16\x07")  # macOS metadata
    write(tmp_path, ".draft.yaml", "not: [a journey")
    journeys, problems = language.load_journeys(tmp_path)
    assert ([j.id for j in journeys], problems) == (["welcome"], [])


def test_an_unreadable_file_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00id")
    journeys, problems = language.load_journeys(tmp_path)
    assert journeys == []
    assert problems[0].line == 1


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_bundled_example_is_valid(path):
    parsed, problems = language.load_journey(path)
    assert parsed is not None, [str(p) for p in problems]
    assert problems == []
    assert language.check_fields(parsed, None, None) == []


def test_the_bundled_examples_cover_every_entry_kind_and_action():
    journeys, problems = language.load_journeys(ROOT / "data" / "journeys")
    assert problems == []
    assert {j.entry.when for j in journeys} == set(language.ENTRY_KINDS)
    actions = {s.ACTION for j in journeys for s in j.steps}
    assert actions == set(language.ACTIONS)


# -- the command line -----------------------------------------------------------------------------


def validate(tmp_path: Path, folder: Path):
    from orgjourney_pipeline.cli import cli

    runner = CliRunner()
    warehouse = tmp_path / "no-warehouse-yet.duckdb"
    result = runner.invoke(
        cli, ["--journeys", str(folder), "--warehouse", str(warehouse), "validate"]
    )
    assert not warehouse.exists(), "validate must not create a warehouse"
    return result


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_validate_prints_file_line_message_and_exits_1(tmp_path):
    folder = tmp_path / "journeys"
    folder.mkdir()
    bad = write(folder, "bad.yaml", MINIMAL + "frequncy: once\n")
    fields = write(
        folder,
        "fields.yaml",
        MINIMAL.replace("welcome", "fields")
        + "send_to:\n  filter: {field: email, op: within_last_days, value: 3}\n",
    )
    write(folder, "good.yaml", MINIMAL.replace("welcome", "good"))
    result = validate(tmp_path, folder)
    assert result.exit_code == 1, result.output
    expected = [
        f"{bad}:7: journey: unknown key 'frequncy' (did you mean 'frequency'?)",
        f"{fields}:8: send_to: 'within_last_days' needs a date or timestamp field; 'email' is text",
    ]
    for line in expected:  # compared without whitespace: see the wrapping test below
        assert squeeze(line) in squeeze(result.output)


def test_validate_prints_each_problem_on_one_line_as_written(tmp_path):
    folder = tmp_path / ("a-long-folder-name-" * 4)
    folder.mkdir()
    bad = write(folder, "bad.yaml", MINIMAL + '"[/x]": 1\n"[bold]key": 2\n')
    result = validate(tmp_path, folder)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{bad}:7: journey: unknown key '[/x]' (known: " in "\n".join(lines)
    assert any(line.startswith(f"{bad}:8: journey: unknown key '[bold]key'") for line in lines)


def test_validate_exits_0_when_every_file_is_valid(tmp_path):
    folder = tmp_path / "journeys"
    folder.mkdir()
    for path in EXAMPLES:
        write(folder, path.name, path.read_text())
    result = validate(tmp_path, folder)
    assert result.exit_code == 0, result.output
    assert f"{len(EXAMPLES)} journey file(s) valid" in result.output


def test_validate_shows_warnings_but_exits_0(tmp_path):
    folder = tmp_path / "journeys"
    folder.mkdir()
    write(
        folder,
        "orphan.yaml",
        with_steps("- id: a\n  send_email: {template: x}\n  next: end\n- id: b\n  exit: {}\n"),
    )
    result = validate(tmp_path, folder)
    assert result.exit_code == 0, result.output
    assert "step 'b' is unreachable" in result.output


# -- the JSON schema for editors ------------------------------------------------------------------


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def test_the_schema_enums_are_the_models_constants():
    definitions = schema()["$defs"]
    properties = schema()["properties"]
    assert tuple(properties["state"]["enum"]) == language.STATES
    assert tuple(properties["frequency"]["enum"]) == language.FREQUENCIES
    assert tuple(definitions["entry"]["properties"]["when"]["enum"]) == tuple(language.ENTRY_KINDS)
    assert tuple(definitions["fieldCondition"]["properties"]["op"]["enum"]) == language.OPS
    assert tuple(definitions["weekday"]["enum"]) == language.WEEKDAYS
    actions = [
        next(iter(set(option["required"]) - {"id"})) for option in definitions["step"]["oneOf"]
    ]
    assert tuple(actions) == language.ACTIONS


def test_the_schema_names_every_top_level_key_the_model_reads():
    text = MINIMAL + "description: x\n"
    assert journey(text)
    assert set(schema()["properties"]) == {
        "id",
        "name",
        "version",
        "state",
        "timezone",
        "entry",
        "frequency",
        "exit",
        "send_to",
        "unsubscribe",
        "attribution",
        "steps",
        "description",
        "send_window",
        "priority",
        "frequency_cap",
        "holdout",
    }


def _validator():
    jsonschema.Draft202012Validator.check_schema(schema())
    return jsonschema.Draft202012Validator(schema())


def _yaml_data(path_or_text) -> object:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    yaml.version = (1, 2)
    text = path_or_text.read_text() if isinstance(path_or_text, Path) else path_or_text
    return json.loads(json.dumps(yaml.load(text), default=str))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_bundled_example_matches_the_schema(path):
    assert list(_validator().iter_errors(_yaml_data(path))) == []


def test_canonical_definitions_match_the_schema():
    validator = _validator()
    assert list(validator.iter_errors(journey(RICH).definition())) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("state: published", "state: live"),
        ("frequency: once_at_a_time", "frequency: always"),
        ("when: approaching_date", "when: soon"),
        ("op: ne", "op: not_equal"),
        ("weekdays: [monday]", "weekdays: [funday]"),
        ("send_email: {template: renewal-30d}", "send_mail: {template: renewal-30d}"),
        ("id: rich", "id: Rich Journey"),
        ("unsubscribe: {audience: renewals}", "unsubscribe: nobody"),
    ],
)
def test_the_schema_rejects_what_the_model_rejects(old, new):
    text = RICH.replace(old, new)
    assert parse(text)[0] is None
    assert list(_validator().iter_errors(_yaml_data(text))) != []


@pytest.mark.parametrize(("entry", "message"), ENTRY_ERRORS)
def test_the_schema_rejects_the_entries_the_model_rejects(entry, message):
    text = f"id: t\nversion: 1\nentry: {entry}\n"
    assert parse(text)[0] is None
    assert list(_validator().iter_errors(_yaml_data(text))) != [], message


@pytest.mark.parametrize("entry", [entry for entry, _ in ENTRY_CASES])
def test_the_schema_accepts_every_entry_kind_as_written_and_canonical(entry):
    text = f"id: t\nversion: 1\nentry: {entry}\n"
    validator = _validator()
    assert list(validator.iter_errors(_yaml_data(text))) == []
    assert list(validator.iter_errors(journey(text).definition())) == []


def test_fused_branches_count_a_repeated_subquery_once_and_keep_every_match():
    """Journeys counting the same activity with different thresholds share one count."""
    con = duckdb.connect()
    con.execute("create table x as select range as k, range % 3 as t from range(30)")
    con.execute("create table e as select (range * 7) % 30 as k from range(200)")
    counted = "(select count(*) from e where e.k = o.k)"
    union = " union all ".join(
        f"select '{journey}' as j, o.k from x as o where {counted} >= {least} and o.t <> {t}"
        for journey, least, t in (("a", 6, 0), ("b", 7, 1), ("c", 7, 2))
    )
    fused = fusion.fuse_branches(fusion.parse(union)).sql("duckdb")
    assert fused.lower().count("count(*)") == 1
    expected = sorted(con.execute(union).fetchall())
    assert sorted(con.execute(fused).fetchall()) == expected
    assert 0 < len({k for _, k in expected}) < 30


def test_the_schema_bounds_a_combinations_items_as_the_model_does():
    definitions = schema()["$defs"]
    for name, key in (("allFilter", "all"), ("anyFilter", "any")):
        assert definitions[name]["properties"][key]["maxItems"] == filters.MAX_FILTER_ITEMS
