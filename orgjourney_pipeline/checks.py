"""Data-quality checks on the warehouse, with Great Expectations (`orgjourney check`).

A check is a query and the expectations its rows must meet. The query, `sql/checks/<name>.sql`,
gives Great Expectations a DataFrame of the rows to check; an ephemeral context validates it.
Two kinds:

- **column checks** run GX column expectations (unique, present, in a range, matching a
  pattern) over the columns of a small state table (organizations, contacts, memberships,
  subscriptions, runs, sends, conversions);
- **rule checks** find, set-wise in SQL, the rows that break a rule that spans tables (a
  send to an unsubscribed contact, a membership naming an unknown organization) and expect
  that table to be empty. Activities, the one table that grows with history, are checked
  through aggregates (duplicate event ids, events per hour), never row by row in Python.

Severity: a failed `error` check fails `orgjourney check` (exit 1) and the Dagster asset
check. Malformed email addresses and phone numbers are `warning`s: the CRM owns them, the
provider bounces them, and one typo among a million contacts must not stop the hourly
run; they are reported, never sent anything they would not otherwise get.

Unsubscribes are judged as the run knew them: an unsubscribe counts for a send if it
occurred before the send's run and was processed by that run or an earlier one (a late
arrival could not have stopped it); the CRM's subscription rows as of the run, with the later
of the two winning as in SPEC section 3; the audience is that of the send's own journey
version. Snapshots (subscriptions, memberships) are judged by the history known now, which is
what a run saw unless a snapshot dated before the run was loaded after it (a late file
rewrote the history): the sends of such a run are not judged by that kind of snapshot, since
a file the run had not loaded could not have stopped them. The differential tests hold these
rules to the engine's: every output check passes on the engine's warehouse for every
generated world (a world's snapshot loaded late found the subscriptions check judging by the
rewritten history).

Great Expectations is imported inside the functions that use it, so commands that do not
check start fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from orgjourney_pipeline import sqlfiles
from orgjourney_pipeline.warehouse import utc_now

INPUTS, OUTPUTS, JOURNEYS = "inputs", "outputs", "journeys"
ERROR, WARNING = "error", "warning"

# Sane bounds for timestamps: activities and snapshots from 2000 to a day after now,
# organizations' created_at from 1900 (a company can be old).
EARLIEST_EVENT = datetime(2000, 1, 1)
EARLIEST_CREATED = datetime(1900, 1, 1)
FUTURE_SLACK = timedelta(days=1)

# An address with one @, no spaces, and a dot in the domain; a phone of 4 to 20 digits with
# an optional leading +, spaces, dots, dashes and parentheses.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"
PHONE_PATTERN = r"^\+?[0-9][0-9 ().-]{2,23}[0-9]$"
EXAMPLES_SHOWN = 3


@dataclass(frozen=True)
class Expect:
    """One expectation, named after its Great Expectations class (`unique`, `no_rows`..)."""

    kind: str  # unique | present | between | matches | in_set | no_rows
    column: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """A query (`sql/checks/<name>.sql`) and what its rows must meet."""

    name: str  # stable: also the Dagster asset check's name and the query's file name
    scope: str  # inputs | outputs
    description: str
    expects: tuple[Expect, ...]
    severity: str = ERROR
    weight: str | None = None  # a column counting the rows each checked row stands for
    # The contract tables whose rows it checks, the first the one it is about (the Dagster
    # asset check's asset, the others its further dependencies); default: the name's first word.
    tables: tuple[str, ...] = ()

    @property
    def table(self) -> str:
        """The contract table the check is about."""
        return self.tables[0] if self.tables else self.name.split("_", 1)[0]

    @property
    def query(self) -> sqlfiles.SqlFile:
        """The check's query; it may use $since and $until (the range of windows checked)."""
        return sqlfiles.load(f"checks/{self.name}.sql")


@dataclass
class CheckResult:
    """The outcome of one check."""

    name: str
    scope: str
    description: str
    severity: str
    passed: bool
    checked_rows: int = 0
    failing_rows: int = 0
    examples: list[str] = field(default_factory=list)
    error: str | None = None  # the check itself could not run

    @property
    def status(self) -> str:
        """passed | failed | warning."""
        if self.passed:
            return "passed"
        return "warning" if self.severity == WARNING else "failed"

    @property
    def failed(self) -> bool:
        """True if this result fails the run: an error-level check that did not pass."""
        return self.status == "failed"


def run_checks(
    con: duckdb.DuckDBPyConnection,
    scopes: Iterable[str] = (INPUTS, OUTPUTS),
    *,
    journeys_dir: Path | None = None,
    now: datetime | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[CheckResult]:
    """Every check of the given scopes, in order; the journey files too when `journeys_dir`.

    `now` (naive UTC, default the clock) bounds timestamps; `since` < run_at <= `until`
    limits the output checks to the windows ending in that range.
    """
    scopes = tuple(scopes)
    results: list[CheckResult] = []
    if INPUTS in scopes and journeys_dir is not None:
        results.append(check_journey_files(con, journeys_dir))
    chosen = [check for check in CHECKS if check.scope in scopes]
    results.extend(validate(con, chosen, now=now, since=since, until=until))
    return results


def check_names(scope: str) -> list[str]:
    """The names of the checks of one scope, in order (the Dagster asset checks' names)."""
    return [check.name for check in CHECKS if check.scope == scope]


def check_journey_files(con: duckdb.DuckDBPyConnection | None, folder: Path) -> CheckResult:
    """Every journey file reads, names known fields, and keeps its published versions intact."""
    from orgjourney_pipeline import validation
    from orgjourney_pipeline.engines.duckdb import DuckDBEngine

    result = CheckResult(
        name="journey_files_valid",
        scope=INPUTS,
        description="every journey file is valid; a published version is never changed",
        severity=ERROR,
        passed=True,
    )
    if not folder.is_dir():
        return result
    engine = DuckDBEngine(con) if con is not None else None
    # The check reads the warehouse read-only: the SQL is compiled, not bound.
    found = validation.validate(folder, engine, utc_now(), bind=False)
    errors = sorted(found.errors, key=lambda p: (str(p.file), p.line))
    result.checked_rows = found.files
    result.failing_rows = len({str(p.file) for p in errors})
    result.examples = [str(p) for p in errors]
    result.passed = not result.examples
    return result


def validate(
    con: duckdb.DuckDBPyConnection,
    checks: Sequence[Check],
    *,
    now: datetime | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[CheckResult]:
    """Run `checks` through one ephemeral Great Expectations context."""
    if not checks:
        return []
    batches = _batch_definition()
    now = now or utc_now()
    values = {
        "now": now,
        "latest": now + FUTURE_SLACK,
        "since": since or datetime(1, 1, 1),
        "until": until or datetime(9999, 12, 31),
    }
    return [_validate_one(con, batches, check, values) for check in checks]


# -- running one check ------------------------------------------------------------------------


def _batch_definition():
    """A whole-DataFrame batch definition in a fresh ephemeral context (no files, no analytics)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("orgjourney_warehouse")
    return source.add_dataframe_asset("rows_to_check").add_batch_definition_whole_dataframe("all")


def _validate_one(con, batches, check: Check, values: dict[str, Any]) -> CheckResult:
    result = CheckResult(check.name, check.scope, check.description, check.severity, passed=True)
    try:
        frame = con.execute(check.query.sql(**values)).df()
    except duckdb.Error as error:
        result.passed, result.error = False, f"the check's query failed: {error}"
        result.examples = [result.error]
        return result
    weights = frame[check.weight] if check.weight else None
    result.checked_rows = int(weights.sum()) if weights is not None else len(frame)
    batch = batches.get_batch(batch_parameters={"dataframe": frame})
    failing: set[int] = set()
    for expect in check.expects:
        outcome = batch.validate(_expectation(expect, values), result_format="COMPLETE")
        if outcome.success:
            continue
        result.passed = False
        if expect.kind == "no_rows":
            failing.update(range(len(frame)))
        else:
            failing.update(int(i) for i in outcome.result.get("unexpected_index_list") or [])
    if not failing:
        return result
    rows = frame.loc[sorted(failing)]
    result.failing_rows = int(rows[check.weight].sum()) if check.weight else len(rows)
    result.examples = [_describe_row(row) for row in rows.head(EXAMPLES_SHOWN).to_dict("records")]
    return result


def _expectation(expect: Expect, values: dict[str, Any]):
    """The Great Expectations object for one `Expect`."""
    import great_expectations as gx

    kind, column = expect.kind, expect.column
    if kind == "unique":
        return gx.expectations.ExpectColumnValuesToBeUnique(column=column)
    if kind == "present":
        return gx.expectations.ExpectColumnValuesToNotBeNull(column=column)
    if kind == "matches":
        return gx.expectations.ExpectColumnValuesToMatchRegex(
            column=column, regex=expect.options["regex"]
        )
    if kind == "in_set":
        return gx.expectations.ExpectColumnValuesToBeInSet(
            column=column, value_set=list(expect.options["values"])
        )
    if kind == "between":
        low, high = (_bound(expect.options[k], values) for k in ("min", "max"))
        return gx.expectations.ExpectColumnValuesToBeBetween(
            column=column, min_value=low, max_value=high
        )
    if kind == "no_rows":
        return gx.expectations.ExpectTableRowCountToEqual(value=0)
    raise ValueError(f"unknown expectation {kind!r}")


def _bound(value: Any, values: dict[str, Any]) -> Any:
    """A bound given as `$name` takes that run value (e.g. `$latest`, a day after now)."""
    if isinstance(value, str) and value.startswith("$"):
        return values[value[1:]]
    return value


def _describe_row(row: dict[str, Any]) -> str:
    parts = []
    for name, value in row.items():
        if name.startswith("_"):
            continue
        text = "" if _is_missing(value) else str(value)
        if len(text) > 40:
            text = text[:37] + "..."
        parts.append(f"{name}={text}")
    return ", ".join(parts)


def _is_missing(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# -- the checks: one per file of sql/checks/ ---------------------------------------------------

_NON_BLANK = r"\S"

INPUT_CHECKS = (
    Check(
        "organizations_unique_id",
        INPUTS,
        "organizations: org_id present and unique",
        (
            Expect("present", "org_id"),
            Expect("unique", "org_id"),
            Expect("matches", "org_id", {"regex": _NON_BLANK}),
        ),
    ),
    Check(
        "contacts_unique_id",
        INPUTS,
        "contacts: contact_id present and unique",
        (
            Expect("present", "contact_id"),
            Expect("unique", "contact_id"),
            Expect("matches", "contact_id", {"regex": _NON_BLANK}),
        ),
    ),
    Check(
        "activities_unique_event_id",
        INPUTS,
        "activities: event_id unique (duplicates are ignored at ingest)",
        (Expect("no_rows"),),
    ),
    Check(
        "activities_required_values",
        INPUTS,
        "activities: event_id, contact_id, activity_type, occurred_at present",
        (Expect("no_rows"),),
    ),
    Check(
        "activities_occurred_at_in_range",
        INPUTS,
        "activities: occurred_at between 2000-01-01 and a day from now",
        (Expect("between", "hour", {"min": EARLIEST_EVENT, "max": "$latest"}),),
        weight="events",
    ),
    Check(
        "snapshots_snapshot_at_in_range",
        INPUTS,
        "snapshots: snapshot_at between 2000-01-01 and a day from now",
        (Expect("between", "snapshot_at", {"min": EARLIEST_EVENT, "max": "$latest"}),),
        tables=("organizations", "contacts", "memberships", "subscriptions"),
    ),
    Check(
        "organizations_created_at_in_range",
        INPUTS,
        "organizations: created_at between 1900-01-01 and a day from now",
        (Expect("between", "created_at", {"min": EARLIEST_CREATED, "max": "$latest"}),),
    ),
    Check(
        "memberships_required_values",
        INPUTS,
        "memberships: contact_id and org_id present",
        tuple(
            Expect(kind, column, options)
            for column in ("contact_id", "org_id")
            for kind, options in (("present", {}), ("matches", {"regex": _NON_BLANK}))
        ),
    ),
    Check(
        "subscriptions_valid",
        INPUTS,
        "subscriptions: contact_id and audience present, status subscribed or unsubscribed",
        (
            Expect("present", "contact_id"),
            Expect("present", "audience"),
            Expect("in_set", "status", {"values": ("subscribed", "unsubscribed")}),
        ),
    ),
    Check(
        "memberships_known_organization",
        INPUTS,
        "memberships: every org_id is a known organization",
        (Expect("no_rows"),),
    ),
    Check(
        "memberships_known_contact",
        INPUTS,
        "memberships: every contact_id is a known contact",
        (Expect("no_rows"),),
    ),
    Check(
        "contacts_email_well_formed",
        INPUTS,
        "contacts: email, when set, looks like name@domain.tld",
        (Expect("matches", "email", {"regex": EMAIL_PATTERN}),),
        severity=WARNING,
    ),
    Check(
        "contacts_phone_well_formed",
        INPUTS,
        "contacts: phone, when set, is 4-20 digits with an optional +",
        (Expect("matches", "phone", {"regex": PHONE_PATTERN}),),
        severity=WARNING,
    ),
)

OUTPUT_CHECKS = (
    Check(
        "runs_one_per_window",
        OUTPUTS,
        "runs: one row per window (no window processed twice)",
        (Expect("unique", "window_end"),),
    ),
    Check(
        "sends_unique_send_id",
        OUTPUTS,
        "sends: send_id unique (no message sent twice)",
        (Expect("unique", "send_id"),),
    ),
    Check(
        "sends_not_unsubscribed",
        OUTPUTS,
        "sends: none to a contact unsubscribed (globally or from the audience of its version)",
        (Expect("no_rows"),),
    ),
    Check(
        "sends_to_members",
        OUTPUTS,
        "sends: only to members of the enrolled organization as of the run",
        (Expect("no_rows"),),
    ),
    Check(
        "enrollments_respect_frequency",
        OUTPUTS,
        "enrollments: one active at a time (once_at_a_time), one ever (once)",
        (Expect("no_rows"),),
    ),
    Check(
        "conversions_after_entry",
        OUTPUTS,
        "conversions: after their enrollment's entry",
        (Expect("no_rows"),),
    ),
    Check(
        "conversions_one_per_enrollment",
        OUTPUTS,
        "conversions: at most one per enrollment",
        (Expect("unique", "enrollment_id"),),
    ),
)

CHECKS: tuple[Check, ...] = INPUT_CHECKS + OUTPUT_CHECKS
