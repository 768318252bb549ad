"""The CRM snapshots: organizations, contacts, memberships and subscriptions as of the
history's start, and the hourly syncs in which a share of organizations and contacts changed.

Each kind is a query of `sql/sample/` with the parameters of its own; the generator adds the
common ones (seed, sizes, the permutations of contacts, the vocabulary). Organizations and
memberships read the organizations' plan (`org_plan`: who is in the skewed tail, how many
contacts each owns), created once per connection from `org_plan_params`.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, datetime, timedelta
from typing import Any

from sqlglot import exp

from orgjourney_pipeline.sample.sizes import SampleSize
from orgjourney_pipeline.sample.statements import compose, sql_file, weighted_choice
from orgjourney_pipeline.sample.world import (
    AUDIENCES,
    BASE_SKEW,
    HOUR_US,
    SECOND_ORG_SHARE,
    TAIL_EXPONENT,
    TAIL_RANK_OFFSET,
    TAIL_SHARE,
    TIMEZONES,
    WHALE_SHARE,
    epoch_us,
)

SNAPSHOT_KINDS = ("organizations", "contacts", "memberships", "subscriptions")
CHANGED_KINDS = ("organizations", "contacts")  # the kinds an hourly sync changes
ORG_PLAN_KINDS = ("organizations", "memberships")  # the kinds that read `org_plan`
PRIMES = (1_000_003, 2_147_483_647, 998_244_353)


def snapshot_statement(
    kind: str, *, start: datetime, end: datetime
) -> tuple[exp.Expression, dict[str, Any]]:
    """The query of one snapshot kind as of `start`, and the parameters of its own."""
    if kind == "organizations":
        timezone = weighted_choice(exp.column("u_timezone"), TIMEZONES)
        query = compose(sql_file("organizations"), timezone_choice=timezone)
        return query, _organization_params(start, end)
    if kind == "contacts":
        return compose(sql_file("contacts")), {}
    if kind == "memberships":
        return compose(sql_file("memberships")), {"second_org_share": SECOND_ORG_SHARE}
    if kind == "subscriptions":
        return compose(sql_file("subscriptions")), {
            "audiences": [audience for audience, _ in AUDIENCES],
            "audience_shares": [share for _, share in AUDIENCES],
        }
    raise ValueError(f"not a snapshot kind: {kind!r}")


def change_statement(
    kind: str, snapshot: exp.Expression, at: datetime, share: float
) -> tuple[exp.Expression, dict[str, Any]]:
    """The snapshot as of `at` of an hourly sync: `snapshot` with about `share` of its rows
    changed, and the parameters of its own."""
    if kind not in CHANGED_KINDS:
        raise ValueError(f"only organizations and contacts change hourly, not {kind!r}")
    query = compose(sql_file(f"change_{kind}"), snapshot=snapshot)
    return query, {"changed_at": at, "stream": epoch_us(at) // HOUR_US, "share": share}


def org_plan_params(scale: SampleSize, seed: int) -> dict[str, Any]:
    """The parameters of `create_org_plan` of their own (beside the common ones)."""
    tail_orgs = max(1, math.ceil(TAIL_SHARE * scale.organizations))
    base_max = min(5, scale.contacts // scale.organizations)
    return {
        "org_prime": coprime(scale.organizations, PRIMES[2]),
        "org_offset": offset(seed, scale.organizations, 3),
        # Own contacts are at most contacts // organizations, so they always fit.
        "base_max": base_max,
        "base_skew": BASE_SKEW,
        "tail_orgs": tail_orgs,
        "tail_exponent": TAIL_EXPONENT,
        "tail_rank_offset": TAIL_RANK_OFFSET * tail_orgs,
        "whale_weight": whale_weight(scale, tail_orgs, base_max),
    }


def _organization_params(start: datetime, end: datetime) -> dict[str, Any]:
    """Signup dates over six years before `start` (some on 29 February); renewal dates from
    a month before `end` to four months after it."""
    signup_from = start.date() - timedelta(days=6 * 365)
    leap_days = _leap_days(signup_from, start.date())
    return {
        "leap_days": leap_days or [signup_from],
        "leap_share": 0.015 if leap_days else 0.0,
        "signup_from": signup_from,
        "signup_span_days": 6 * 365,
        "renewal_from": end.date() - timedelta(days=30),
        "renewal_span_days": 150,
    }


def whale_weight(scale: SampleSize, tail_orgs: int, base_max: int) -> int:
    """The Zipf weight of the tail's first organization, raised so that it holds at least
    `WHALE_SHARE` of the contacts (the spare contacts are shared by weight)."""
    offset = TAIL_RANK_OFFSET * tail_orgs
    weights = [
        math.floor(1e9 / (rank + offset) ** TAIL_EXPONENT) for rank in range(1, tail_orgs + 1)
    ]
    natural, rest = weights[0], sum(weights[1:])
    # Expected own contacts per organization: 1 + E[floor(u ** skew * base_max)].
    own = 1 + sum(1 - (k / base_max) ** (1 / BASE_SKEW) for k in range(1, base_max))
    spare = scale.contacts - own * scale.organizations
    target = WHALE_SHARE * scale.contacts
    if rest == 0 or spare <= target:
        return natural
    return max(natural, math.ceil(target * rest / (spare - target)))


def coprime(modulus: int, prime: int) -> int:
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


def offset(seed: int, modulus: int, salt: int) -> int:
    """A seed-dependent rotation of a permutation."""
    return (seed * 2_654_435_761 + salt * 40_503) % modulus


def _leap_days(first: date, last: date) -> list[date]:
    """29 February of each leap year with first <= day < last."""
    return [
        date(year, 2, 29)
        for year in range(first.year, last.year + 1)
        if calendar.isleap(year) and first <= date(year, 2, 29) < last
    ]
