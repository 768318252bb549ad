"""Seeded sample CRM input files: the demo's inbox, the tests' fixtures, the benchmark's data.

Everything is generated set-wise in DuckDB: a row is a pure function of (seed, row number),
its randomness DuckDB's `hash` of those numbers, and each file is one `COPY (select ..) TO`.
No Python loop touches rows, so scale `l` (1M organizations, 10M contacts, 100M events)
takes minutes and little memory: the history is written one day file at a time. The same
seed, size and end give byte-identical files (with the same DuckDB version), so a second
demo run ingests nothing new: the ledger is keyed by content hash.

Realism, in short: organizations with tags, time zones and typed custom fields (renewal
dates around `end`, signup dates some on 29 February); contacts with gaps (no email, no
phone); memberships skewed like real B2B accounts (most organizations have 1 to 5 contacts,
a few have hundreds or thousands, some contacts belong to two); subscriptions per audience
with a few global `*` rows; activity with a daily and weekly rhythm, a few very active
contacts, properties per type, and a small share of event_ids delivered twice.
"""

from __future__ import annotations

import calendar
import math
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from orgjourney_pipeline import sqlfiles


@dataclass(frozen=True)
class SampleSize:
    """How much to generate: snapshot sizes, history events over `days`, and hourly events."""

    name: str
    organizations: int
    contacts: int
    events: int  # distinct events in the history
    events_per_hour: int  # steady-state new events an hour (`write_hour`)
    days: int  # history length, ending at the sample's end

    def __post_init__(self) -> None:
        if self.organizations < 1 or self.days < 1:
            raise ValueError(f"sample size {self.name!r}: needs at least 1 organization and day")
        if self.contacts < self.organizations:
            raise ValueError(
                f"sample size {self.name!r}: every organization has a contact, so contacts "
                f"({self.contacts}) must be at least organizations ({self.organizations})"
            )
        if self.events < 0 or self.events_per_hour < 0:
            raise ValueError(f"sample size {self.name!r}: event counts must not be negative")


SCALES: dict[str, SampleSize] = {
    size.name: size
    for size in (
        SampleSize("demo", 300, 1_500, 20_000, events_per_hour=30, days=30),
        SampleSize("xs", 1_000, 10_000, 100_000, events_per_hour=1_000, days=90),
        SampleSize("s", 10_000, 100_000, 1_000_000, events_per_hour=10_000, days=90),
        SampleSize("m", 100_000, 1_000_000, 10_000_000, events_per_hour=100_000, days=90),
        SampleSize("l", 1_000_000, 10_000_000, 100_000_000, events_per_hour=1_000_000, days=90),
    )
}


@dataclass(frozen=True)
class SampleManifest:
    """What `write_sample` wrote: the files in ingest order, the history span, rows per kind."""

    files: list[Path]
    start: datetime  # naive UTC, hour-aligned: the snapshots' snapshot_at, the first event hour
    end: datetime  # naive UTC, hour-aligned: every event is before it
    counts: dict[str, int]  # rows written per kind (activities include the duplicates)
    duplicate_events: int = 0  # activity rows repeating an event_id written in an earlier file


def write_sample(
    out_dir: Path,
    size: str | SampleSize = "demo",
    seed: int = 7,
    end: datetime = datetime(2026, 11, 1),
    formats: str = "mixed",
) -> SampleManifest:
    """Write snapshots and `size.days` of activity ending at `end` into `out_dir`.

    `formats="mixed"` spreads CSV, Parquet and JSON Lines over the kinds and the activity
    days; `formats="parquet"` writes Parquet only (the fast choice at large scales).
    """
    scale = resolve_size(size)
    if formats not in _FORMAT_PLANS:
        raise ValueError(f"formats must be one of {sorted(_FORMAT_PLANS)}, not {formats!r}")
    end = _hour_aligned(end, "end")
    start = end - timedelta(days=scale.days)
    plan = _FORMAT_PLANS[formats]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    counts: dict[str, int] = {}
    with _Generator(scale, seed) as generator:
        for kind in ("organizations", "contacts", "memberships", "subscriptions"):
            fmt = plan[kind]
            path = out_dir / f"{kind}{_EXTENSIONS[fmt]}"
            counts[kind] = generator.write_snapshot(kind, path, fmt, start=start, end=end)
            files.append(path)
        counts["activities"] = duplicates = 0
        for day, segments in enumerate(_history_days(scale, start)):
            if not any(segment.own and segment.events for segment in segments):
                continue  # a day without events: no file (an empty JSON Lines file is unreadable)
            fmt = plan["activities"][day % len(plan["activities"])]
            day_start = start + timedelta(days=day)
            stamp = day_start.strftime("%Y-%m-%d" if day_start.hour == 0 else "%Y-%m-%dT%H")
            path = out_dir / f"activities-{stamp}{_EXTENSIONS[fmt]}"
            rows, repeated = generator.write_activities(path, fmt, segments, stream=0)
            counts["activities"] += rows
            duplicates += repeated
            files.append(path)
    return SampleManifest(files, start, end, counts, duplicates)


def write_hour(out_dir: Path, size: str | SampleSize, seed: int, hour_start: datetime) -> Path:
    """Write one hour of new activity (`events_per_hour` rows) as `activities-<hour>.parquet`.

    Event ids are `ev-<YYYYMMDDHH>-<n>`: disjoint from the history's and from other hours'.
    """
    scale = resolve_size(size)
    hour_start = _hour_aligned(hour_start, "hour_start")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"activities-{hour_start:%Y-%m-%dT%H}.parquet"
    segment = _Segment(_epoch_us(hour_start), first=0, events=scale.events_per_hour, own=True)
    with _Generator(scale, seed) as generator:
        generator.write_activities(
            path,
            "parquet",
            [segment],
            stream=_epoch_us(hour_start) // _HOUR_US,
            id_prefix=f"ev-{hour_start:%Y%m%d%H}-",
            id_digits=max(7, len(str(scale.events_per_hour))),
        )
    return path


def write_hour_snapshots(
    out_dir: Path,
    size: str | SampleSize,
    seed: int,
    hour_start: datetime,
    *,
    history: tuple[datetime, datetime],
    share: float = 0.03,
    org_share: float | None = None,
) -> list[Path]:
    """Write an hourly CRM sync: complete organizations and contacts snapshots as of
    `hour_start` in which about `share` (1-10 %) of the contacts and `org_share` (default a
    third of `share`) of the organizations changed since the history's snapshots (`history`
    is the sample's (start, end), as `write_sample` returned it).
    """
    scale = resolve_size(size)
    hour_start = _hour_aligned(hour_start, "hour_start")
    org_share = share / 3 if org_share is None else org_share
    if not (0 <= share <= 1 and 0 <= org_share <= 1):
        raise ValueError(f"shares must be between 0 and 1, not {share} and {org_share}")
    start, end = (_hour_aligned(instant, "history") for instant in history)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    with _Generator(scale, seed) as generator:
        for kind, kind_share in (("organizations", org_share), ("contacts", share)):
            path = out_dir / f"{kind}-{hour_start:%Y-%m-%dT%H}.parquet"
            generator.write_snapshot(
                kind, path, "parquet", start=start, end=end, changed=(hour_start, kind_share)
            )
            paths.append(path)
    return paths


def resolve_size(size: str | SampleSize) -> SampleSize:
    """A scale by name (`demo`, `xs`, `s`, `m`, `l`) or a SampleSize as it is."""
    if isinstance(size, SampleSize):
        return size
    try:
        return SCALES[size]
    except KeyError:
        raise ValueError(f"unknown sample size {size!r} (known: {', '.join(SCALES)})") from None


# --- file layout -----------------------------------------------------------------------------

_EXTENSIONS = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl"}
_FORMAT_PLANS: dict[str, dict[str, Any]] = {
    "mixed": {
        "organizations": "csv",
        "contacts": "parquet",
        "memberships": "csv",
        "subscriptions": "jsonl",
        "activities": ("parquet", "jsonl", "csv"),  # day by day, in turn
    },
    "parquet": {
        "organizations": "parquet",
        "contacts": "parquet",
        "memberships": "parquet",
        "subscriptions": "parquet",
        "activities": ("parquet",),
    },
}

# --- the shape of the data -------------------------------------------------------------------

_HOUR_US = 3_600_000_000
# Relative activity by UTC hour of day (Europe's afternoon meets America's morning) and by
# weekday (Monday first); the history also grows by a third from its first day to its last.
_HOUR_OF_DAY = (
    0.25, 0.2, 0.18, 0.18, 0.2, 0.3, 0.5, 0.75, 1.0, 1.15, 1.2, 1.2,
    1.15, 1.2, 1.3, 1.35, 1.3, 1.15, 0.95, 0.8, 0.65, 0.5, 0.4, 0.3,
)  # fmt: skip
_WEEKDAY = (1.0, 1.05, 1.05, 1.0, 0.9, 0.5, 0.45)
_GROWTH = 0.3
# Rows of the previous day's last hours delivered again at the start of the next day's file.
_REDELIVERED_HOURS = 4
_REDELIVERED_SHARE = 0.01

# Membership skew: every organization has 1..5 contacts of its own (1 most often); a tail
# of 8% of them shares the remaining contacts by Zipf weights 1 / (rank + 0.005 * tail), so
# the largest has hundreds (demo) to thousands (s and up); 3% of the contacts also belong
# to a second organization.
_BASE_SKEW = 1.4
_TAIL_SHARE = 0.08
_TAIL_EXPONENT = 1.0
_TAIL_RANK_OFFSET = 0.005
_SECOND_ORG_SHARE = 0.03
# The whale: the tail's first organization holds at least this share of all contacts (10k+
# at scale l; at smaller scales the Zipf tail's own first organization is larger).
_WHALE_SHARE = 0.0012
# Activity skew: 40% of events go to contacts drawn by rank with density ~ 1/sqrt(rank).
_ACTIVE_SHARE = 0.4

_ACTIVITY_TYPES = (
    ("page_viewed", 34.0),
    ("email_sent", 30.0),
    ("email_opened", 15.0),
    ("email_clicked", 5.0),
    ("sms_sent", 5.0),
    ("form_submitted", 4.0),
    ("purchase", 2.5),
    ("webinar_attended", 1.0),
    ("email_bounced", 1.5),
    ("demo_requested", 0.8),
    ("renewal_paid", 0.4),
    ("unsubscribed", 0.3),
)
_TIMEZONES = (
    ("America/New_York", 20),
    ("UTC", 14),
    ("Europe/Berlin", 12),
    ("America/Los_Angeles", 11),
    ("Europe/London", 10),
    ("America/Chicago", 8),
    ("Asia/Tokyo", 7),
    ("Europe/Paris", 6),
    ("Asia/Singapore", 4),
    ("Australia/Sydney", 4),
    ("America/Sao_Paulo", 2),
    ("Asia/Kolkata", 2),
)
_VOCABULARY: dict[str, list[str]] = {
    "name_heads": [
        "Acme", "Northwind", "Blue Harbor", "Cedar", "Summit", "Bright", "Granite", "Silver Oak",
        "Red Fox", "Evergreen", "Lumen", "Atlas", "Nimbus", "Juniper", "Harbor", "Ironwood",
        "Kite", "Maple", "Orbit", "Pioneer", "Quartz", "Riverbend", "Sable", "Tidewater",
        "Umbra", "Vantage", "Willow", "Zenith", "Bergmann", "Sakura", "Nordlicht", "Aurora",
        "Cobalt", "Delta", "Ember", "Fjord", "Golden Gate", "Helix", "Indigo", "Mosaic",
    ],
    "name_cores": [
        "Analytics", "Logistics", "Health", "Foods", "Robotics", "Software", "Capital",
        "Media", "Energy", "Labs", "Systems", "Retail", "Design", "Learning", "Biotech",
        "Travel", "Studios", "Networks", "Materials", "Consulting", "Cloud", "Security",
    ],
    "name_suffixes": [
        "Inc.", "LLC", "GmbH", "Ltd", "S.A.", "K.K.", "Co.", "Group", "Partners", "AG", "BV", "",
    ],
    "industries": [
        "software", "retail", "healthcare", "finance", "education", "manufacturing", "media",
        "logistics", "hospitality", "nonprofit", "energy", "real estate",
    ],
    "first_names": [
        "Anna", "Ben", "Chloé", "David", "Elif", "Fatima", "Georg", "Hiro", "Ines", "Jonas",
        "Kenji", "Laura", "Mateo", "Nora", "Olu", "Priya", "Quinn", "Rosa", "Sven", "Tomás",
        "Uma", "Viktor", "Wen", "Xavier", "Yuki", "Zoë", "Amara", "Björn", "Carmen", "Dmitri",
        "Emma", "Felix", "Grace", "Hannah", "Ivan", "Julia", "Karim", "Lea", "Mia", "Noah",
    ],
    "last_names": [
        "Smith", "Müller", "Garcia", "Tanaka", "Okafor", "Johansson", "Rossi", "Nguyen",
        "O'Brien", "Schmidt", "Kowalski", "Dubois", "Silva", "Kim", "Patel", "Cohen",
        "Fischer", "Haddad", "Ivanova", "Jensen", "Larsen", "Moreau", "Novak", "Park",
        "Quispe", "Sato", "Weber", "Yilmaz", "Zhang", "Brown", "Lopez", "Meyer",
    ],
    "domains": ["example.com", "example.org", "example.net", "acme.example", "mail.test"],
    "dial_codes": ["+1", "+1", "+1", "+44", "+49", "+33", "+81", "+61"],
    "roles": [
        "owner", "admin", "billing", "marketing", "engineer", "sales", "support", "executive",
    ],
    "email_templates": [
        "welcome", "onboarding-1", "onboarding-2", "newsletter-monthly", "product-update",
        "webinar-invite", "renewal-30d", "renewal-7d", "feature-tips", "case-study",
    ],
    "sms_templates": ["renewal-sms", "event-reminder", "verification", "flash-offer"],
    "urls": [
        "https://www.example.com/", "https://www.example.com/pricing",
        "https://www.example.com/features", "https://www.example.com/blog/org-journeys",
        "https://www.example.com/docs/getting-started", "https://www.example.com/customers",
        "https://www.example.com/contact", "https://app.example.com/billing",
        "https://app.example.com/settings/team", "https://www.example.com/webinars",
    ],
    "forms": ["contact-us", "newsletter-signup", "webinar-registration", "ebook-download"],
    "skus": ["seat-pack-5", "seat-pack-25", "addon-sms", "addon-analytics", "training-day"],
    "bounces": ["hard", "soft", "soft"],
    "unsubscribe_sources": ["preference_center", "email_link", "email_link", "support"],
    "renewal_plans": ["starter", "pro", "pro", "enterprise"],
    "products": ["core", "analytics", "messaging"],
    "webinars": ["org-journeys-101", "attribution-deep-dive", "duckdb-at-scale", "q4-roadmap"],
}  # fmt: skip
_AUDIENCES = (("newsletter", 0.6), ("product", 0.45), ("events", 0.25), ("*", 0.015))

# --- the generator ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    """One hour of activity rows: its start, its row numbers, and whether it is the file's."""

    hour_us: int  # the hour's start, microseconds since the epoch (naive UTC)
    first: int  # its first row number
    events: int  # its row count
    own: bool  # False: a previous day's hour, of which only re-delivered rows are written


class _Generator:
    """A private in-memory DuckDB with the sample macros, for one sample size and seed."""

    def __init__(self, scale: SampleSize, seed: int) -> None:
        if not -(2**63) <= seed < 2**63:
            raise ValueError(f"seed must fit in 64 bits, not {seed}")
        self.scale, self.seed = scale, seed
        self._spill = tempfile.TemporaryDirectory(prefix="orgjourney-sample-")
        self.con = duckdb.connect(
            ":memory:",
            config={"memory_limit": "3GB", "temp_directory": self._spill.name},
        )
        for setup in ("set_utc", "hide_progress_bar", "create_sample_u", "create_sample_pick"):
            self._execute(_compose(_sql(setup)), {})
        self._org_plan = False

    def __enter__(self) -> _Generator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.con.close()
        self._spill.cleanup()

    # -- common parameters ------------------------------------------------------------------

    def _base_params(self) -> dict[str, Any]:
        scale = self.scale
        return {
            "seed": self.seed,
            "organizations": scale.organizations,
            "contacts": scale.contacts,
            "org_digits": max(6, len(str(scale.organizations))),
            "contact_digits": max(7, len(str(scale.contacts))),
            "contact_prime": _coprime(scale.contacts, _PRIMES[0]),
            "contact_offset": _offset(self.seed, scale.contacts, 1),
            "activity_prime": _coprime(scale.contacts, _PRIMES[1]),
            "activity_offset": _offset(self.seed, scale.contacts, 2),
            **_VOCABULARY,
        }

    def _ensure_org_plan(self) -> None:
        if self._org_plan:
            return
        scale = self.scale
        tail_orgs = max(1, math.ceil(_TAIL_SHARE * scale.organizations))
        base_max = min(5, scale.contacts // scale.organizations)
        self._execute(
            _compose(_sql("create_org_plan")),
            {
                **self._base_params(),
                "org_prime": _coprime(scale.organizations, _PRIMES[2]),
                "org_offset": _offset(self.seed, scale.organizations, 3),
                # Own contacts are at most contacts // organizations, so they always fit.
                "base_max": base_max,
                "base_skew": _BASE_SKEW,
                "tail_orgs": tail_orgs,
                "tail_exponent": _TAIL_EXPONENT,
                "tail_rank_offset": _TAIL_RANK_OFFSET * tail_orgs,
                "whale_weight": _whale_weight(scale, tail_orgs, base_max),
            },
        )
        self._org_plan = True

    # -- snapshots --------------------------------------------------------------------------

    def write_snapshot(
        self,
        kind: str,
        path: Path,
        fmt: str,
        *,
        start: datetime,
        end: datetime,
        changed: tuple[datetime, float] | None = None,
    ) -> int:
        """Write one snapshot kind as of `start`; returns the rows written.

        `changed=(at, share)` writes the snapshot as of `at` instead: the one as of `start`
        with about `share` of its rows changed (organizations and contacts only).
        """
        params = {**self._base_params(), "snapshot_at": start}
        if kind == "organizations":
            self._ensure_org_plan()
            signup_from = start.date() - timedelta(days=6 * 365)
            leap_days = _leap_days(signup_from, start.date())
            params |= {
                "leap_days": leap_days or [signup_from],
                "leap_share": 0.015 if leap_days else 0.0,
                "signup_from": signup_from,
                "signup_span_days": 6 * 365,
                "renewal_from": end.date() - timedelta(days=30),
                "renewal_span_days": 150,
            }
            timezone = _weighted_choice(exp.column("u_timezone"), _TIMEZONES)
            query = _compose(_sql("organizations"), timezone_choice=timezone)
        elif kind == "contacts":
            query = _compose(_sql("contacts"))
        elif kind == "memberships":
            self._ensure_org_plan()
            query = _compose(_sql("memberships"))
            params["second_org_share"] = _SECOND_ORG_SHARE
        elif kind == "subscriptions":
            query = _compose(_sql("subscriptions"))
            params["audiences"] = [audience for audience, _ in _AUDIENCES]
            params["audience_shares"] = [share for _, share in _AUDIENCES]
        else:
            raise ValueError(f"not a snapshot kind: {kind!r}")
        if changed is not None:
            if kind not in _CHANGED_KINDS:
                raise ValueError(f"only organizations and contacts change hourly, not {kind!r}")
            at, share = changed
            query = _compose(_sql(f"change_{kind}"), snapshot=query)
            params |= {"changed_at": at, "stream": _epoch_us(at) // _HOUR_US, "share": share}
        return self._copy(query, params, path, fmt)

    # -- activities -------------------------------------------------------------------------

    def write_activities(
        self,
        path: Path,
        fmt: str,
        segments: list[_Segment],
        *,
        stream: int,
        id_prefix: str = "ev-",
        id_digits: int | None = None,
    ) -> tuple[int, int]:
        """Write the rows of `segments`; returns (rows written, of them re-delivered)."""
        if id_digits is None:
            id_digits = max(8, len(str(self.scale.events)))
        activity_type = _weighted_choice(exp.column("u_type"), _ACTIVITY_TYPES)
        params = {
            **self._base_params(),
            "stream": stream,
            "hour_us": [segment.hour_us for segment in segments],
            "firsts": [segment.first for segment in segments],
            "counts": [segment.events for segment in segments],
            "owns": [segment.own for segment in segments],
            "redelivered_share": _REDELIVERED_SHARE,
            "active_share": _ACTIVE_SHARE,
            "id_prefix": id_prefix,
            "id_digits": id_digits,
        }
        query = _compose(_sql("activities"), activity_type_choice=activity_type)
        rows = self._copy(query, params, path, fmt)
        return rows, rows - sum(segment.events for segment in segments if segment.own)

    # -- writing ----------------------------------------------------------------------------

    def _copy(self, query: exp.Expression, params: dict[str, Any], path: Path, fmt: str) -> int:
        """COPY the query's rows to `path` in `fmt`, via a hidden partial file."""
        described = self._execute(_compose(_sql("describe_rows"), rows=query), params).fetchall()
        projection = [_output_column(name, type_, fmt) for name, type_, *_ in described]
        rows = exp.select(*projection).from_(query.subquery())
        partial = path.with_name(f".{path.name}.partial")
        try:
            copy = _compose(_sql(f"copy_{fmt}"), rows=rows)
            (written,) = self._execute(copy, {**params, "path": str(partial)}).fetchone()
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return written

    def _execute(
        self, statement: exp.Expression, params: dict[str, Any]
    ) -> duckdb.DuckDBPyConnection:
        """Run a composed statement; its `$name` placeholders are DuckDB parameters from `params`
        (only the ones it uses: DuckDB rejects unused ones)."""
        used = {node.name for node in statement.find_all(exp.Placeholder)}
        values = {name: value for name, value in params.items() if name in used}
        return self.con.execute(statement.sql(dialect="duckdb", comments=False), values)


# --- helpers ---------------------------------------------------------------------------------

_PRIMES = (1_000_003, 2_147_483_647, 998_244_353)
_CHANGED_KINDS = ("organizations", "contacts")


def _history_days(scale: SampleSize, start: datetime) -> list[list[_Segment]]:
    """The history as day files: each day's 24 hour segments, after the previous day's last
    hours (whose rows appear again only when re-delivered).

    Events spread over hours by weight (hour of day, weekday, growth), rounded by largest
    remainder so that they sum to `scale.events` exactly.
    """
    hours = scale.days * 24
    weights = []
    for hour in range(hours):
        instant = start + timedelta(hours=hour)
        weights.append(
            _HOUR_OF_DAY[instant.hour]
            * _WEEKDAY[instant.weekday()]
            * (1 + _GROWTH * hour / max(1, hours - 1))
        )
    counts = _apportion(scale.events, weights)
    segments, first = [], 0
    for hour, events in enumerate(counts):
        hour_us = _epoch_us(start) + hour * _HOUR_US
        segments.append(_Segment(hour_us, first, events, own=True))
        first += events
    days = []
    for day in range(scale.days):
        own = segments[day * 24 : day * 24 + 24]
        previous = segments[max(0, day * 24 - _REDELIVERED_HOURS) : day * 24]
        days.append([_Segment(s.hour_us, s.first, s.events, own=False) for s in previous] + own)
    return days


def _whale_weight(scale: SampleSize, tail_orgs: int, base_max: int) -> int:
    """The Zipf weight of the tail's first organization, raised so that it holds at least
    `_WHALE_SHARE` of the contacts (the spare contacts are shared by weight)."""
    offset = _TAIL_RANK_OFFSET * tail_orgs
    weights = [
        math.floor(1e9 / (rank + offset) ** _TAIL_EXPONENT) for rank in range(1, tail_orgs + 1)
    ]
    natural, rest = weights[0], sum(weights[1:])
    # Expected own contacts per organization: 1 + E[floor(u ** skew * base_max)].
    own = 1 + sum(1 - (k / base_max) ** (1 / _BASE_SKEW) for k in range(1, base_max))
    spare = scale.contacts - own * scale.organizations
    target = _WHALE_SHARE * scale.contacts
    if rest == 0 or spare <= target:
        return natural
    return max(natural, math.ceil(target * rest / (spare - target)))


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder)."""
    weight_sum = sum(weights)
    quotas = [total * weight / weight_sum for weight in weights]
    counts = [math.floor(quota) for quota in quotas]
    by_remainder = sorted(
        range(len(quotas)), key=lambda index: (counts[index] - quotas[index], index)
    )
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return counts


def _weighted_choice(draw: exp.Expression, choices: tuple[tuple[str, float], ...]) -> exp.Case:
    """A CASE picking a value by cumulative weight for a uniform draw, built with sqlglot."""
    total = sum(weight for _, weight in choices)
    case, cumulative = exp.Case(), 0.0
    for value, weight in choices[:-1]:
        cumulative += weight
        case = case.when(
            exp.LT(this=draw.copy(), expression=_number(round(cumulative / total, 6))),
            exp.Literal.string(value),
        )
    return case.else_(exp.Literal.string(choices[-1][0]))


def _number(value: float) -> exp.Literal:
    return exp.Literal.number(repr(value) if isinstance(value, float) else value)


def _output_column(name: str, duckdb_type: str, fmt: str) -> exp.Expression:
    """A column as the file format writes it: text timestamps, `;` tags in CSV, JSON objects."""
    column = exp.column(exp.to_identifier(name, quoted=True))
    if duckdb_type == "TIMESTAMP" and fmt != "parquet":
        value = exp.Anonymous(
            this="strftime", expressions=[column, exp.Literal.string("%Y-%m-%dT%H:%M:%SZ")]
        )
    elif duckdb_type.endswith("[]") and fmt == "csv":
        value = exp.Anonymous(this="array_to_string", expressions=[column, exp.Literal.string(";")])
    elif name == "properties" and fmt == "jsonl":
        value = exp.cast(column, exp.DataType.build("json"))
    else:
        return column
    return exp.alias_(value, exp.to_identifier(name, quoted=True))


def _sql(name: str) -> sqlfiles.SqlFile:
    """A statement of `sql/sample/`."""
    return sqlfiles.load(f"sample/{name}.sql")


def _compose(sql_file: sqlfiles.SqlFile, **parts: exp.Expression) -> exp.Expression:
    """The file's statement with the placeholders in `parts` replaced by those expressions (a
    CASE, a query); its other placeholders stay `$name`, values DuckDB binds as parameters."""
    kept = {name: exp.Placeholder(this=name) for name in sql_file.placeholders - set(parts)}
    return sql_file.bind(**kept, **parts)


def _coprime(modulus: int, prime: int) -> int:
    """A multiplier that permutes 0..modulus-1: `prime`, or the next prime not dividing it."""
    candidate = prime
    while modulus % candidate == 0:
        candidate = _next_prime(candidate)
    return candidate


def _next_prime(number: int) -> int:
    candidate = number + 1
    while any(candidate % d == 0 for d in range(2, math.isqrt(candidate) + 1)):
        candidate += 1
    return candidate


def _offset(seed: int, modulus: int, salt: int) -> int:
    """A seed-dependent rotation of a permutation."""
    return (seed * 2_654_435_761 + salt * 40_503) % modulus


def _leap_days(first: date, last: date) -> list[date]:
    """29 February of each leap year with first <= day < last."""
    return [
        date(year, 2, 29)
        for year in range(first.year, last.year + 1)
        if calendar.isleap(year) and first <= date(year, 2, 29) < last
    ]


def _hour_aligned(instant: datetime, name: str) -> datetime:
    """`instant` as naive UTC; it must fall on a whole hour."""
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC).replace(tzinfo=None)
    if (instant.minute, instant.second, instant.microsecond) != (0, 0, 0):
        raise ValueError(f"{name} must be on a whole UTC hour, not {instant.isoformat()}")
    return instant


def _epoch_us(instant: datetime) -> int:
    return (instant - datetime(1970, 1, 1)) // timedelta(microseconds=1)
