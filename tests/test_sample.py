"""The seeded sample generator: deterministic, realistic in shape, readable in every format."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from orgjourney_pipeline import sample

TINY = sample.SampleSize("tiny", 20, 120, 2_000, events_per_hour=50, days=4)
WELL_KNOWN = {
    "email_sent",
    "email_opened",
    "email_clicked",
    "email_bounced",
    "sms_sent",
    "form_submitted",
    "page_viewed",
    "purchase",
    "unsubscribed",
}
READERS = {".csv": "read_csv", ".parquet": "read_parquet", ".jsonl": "read_json"}


def relation(paths: list[Path]) -> str:
    """A FROM item over files of one format (duckdb reads a list of paths)."""
    reader = READERS[paths[0].suffix]
    listed = ", ".join(f"'{path}'" for path in paths)
    if reader == "read_csv":
        return f"read_csv([{listed}], all_varchar = true)"
    return f"{reader}([{listed}])"


def files_of(manifest: sample.SampleManifest, kind: str) -> list[Path]:
    return [path for path in manifest.files if path.name.startswith(kind)]


def rows(sql: str, params: dict[str, object] | None = None) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(sql, params or {}).fetchall()


def row(sql: str, params: dict[str, object] | None = None) -> tuple:
    (only,) = rows(sql, params)
    return only


def scalar(sql: str) -> object:
    return row(sql)[0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleManifest:
    return sample.write_sample(tmp_path_factory.mktemp("demo"), "demo", seed=7)


def test_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    first = sample.write_sample(tmp_path / "a", TINY, seed=3)
    second = sample.write_sample(tmp_path / "b", TINY, seed=3)
    assert [path.name for path in first.files] == [path.name for path in second.files]
    for one, other in zip(first.files, second.files, strict=True):
        assert one.read_bytes() == other.read_bytes(), one.name
    assert first.counts == second.counts


def test_another_seed_writes_other_data(tmp_path: Path) -> None:
    first = sample.write_sample(tmp_path / "a", TINY, seed=3)
    second = sample.write_sample(tmp_path / "b", TINY, seed=4)
    differing = [
        one.name
        for one, other in zip(first.files, second.files, strict=True)
        if one.read_bytes() != other.read_bytes()
    ]
    assert len(differing) == len(first.files)


def test_history_spans_days_before_an_hour_aligned_end(tmp_path: Path) -> None:
    end = datetime(2026, 3, 1, 6)
    manifest = sample.write_sample(tmp_path, TINY, end=end, formats="parquet")
    assert (manifest.start, manifest.end) == (end - timedelta(days=TINY.days), end)
    activity_files = files_of(manifest, "activities-")
    assert activity_files[0].name == "activities-2026-02-25T06.parquet"
    first, last = row(f"select min(occurred_at), max(occurred_at) from {relation(activity_files)}")
    assert manifest.start <= first and last < manifest.end
    with pytest.raises(ValueError, match="whole UTC hour"):
        sample.write_sample(tmp_path, TINY, end=datetime(2026, 3, 1, 6, 30))


def test_file_names_say_their_kind(demo: sample.SampleManifest) -> None:
    kinds = {re.split(r"[-_.]", path.name, maxsplit=1)[0] for path in demo.files}
    assert kinds == {"organizations", "contacts", "memberships", "subscriptions", "activities"}
    assert all(re.fullmatch(r"activities-\d{4}-\d{2}-\d{2}\.\w+", p.name) for p in demo.files[4:])


def test_mixed_formats_are_readable_with_the_counts_written(demo: sample.SampleManifest) -> None:
    assert {path.suffix for path in demo.files} == {".csv", ".parquet", ".jsonl"}
    for kind in ("organizations", "contacts", "memberships", "subscriptions"):
        assert scalar(f"select count(*) from {relation(files_of(demo, kind))}") == demo.counts[kind]
    activity_rows = 0
    for suffix in READERS:
        paths = [path for path in files_of(demo, "activities-") if path.suffix == suffix]
        assert paths, suffix
        activity_rows += scalar(f"select count(*) from {relation(paths)}")
    assert activity_rows == demo.counts["activities"]


def test_snapshots_are_as_of_the_start(demo: sample.SampleManifest) -> None:
    for kind in ("organizations", "contacts", "memberships", "subscriptions"):
        times = rows(
            f"select distinct snapshot_at::timestamp from {relation(files_of(demo, kind))}"
        )
        assert times == [(demo.start,)], kind


def test_most_organizations_have_few_contacts_and_some_have_hundreds(
    demo: sample.SampleManifest,
) -> None:
    sizes = [
        count
        for (count,) in rows(
            f"select count(*) from {relation(files_of(demo, 'memberships'))} group by org_id"
        )
    ]
    assert len(sizes) == demo.counts["organizations"]
    assert sum(1 <= size <= 5 for size in sizes) >= 0.75 * len(sizes)
    assert max(sizes) >= 100


def test_every_contact_belongs_to_an_organization(demo: sample.SampleManifest) -> None:
    contacts = relation(files_of(demo, "contacts"))
    memberships = relation(files_of(demo, "memberships"))
    assert (
        scalar(f"select count(*) from {contacts} anti join {memberships} using (contact_id)") == 0
    )
    in_two = scalar(
        f"select count(*) from (select contact_id from {memberships} group by 1 having count(*) > 1)"
    )
    assert 0 < in_two < 0.1 * demo.counts["contacts"]


def test_every_well_known_activity_type_occurs(demo: sample.SampleManifest) -> None:
    found: set[str] = set()
    for suffix in READERS:
        paths = [path for path in files_of(demo, "activities-") if path.suffix == suffix]
        found |= {t for (t,) in rows(f"select distinct activity_type from {relation(paths)}")}
    assert found >= WELL_KNOWN | {"renewal_paid", "demo_requested"}


def test_snapshot_fields_have_gaps_and_realistic_values(demo: sample.SampleManifest) -> None:
    organizations = relation(files_of(demo, "organizations"))
    leap_signups, renewals_past, renewals_ahead = row(
        f"select count(*) filter (where signup_date like '%-02-29'), "
        f"count(*) filter (where renewal_date::date < $end), "
        f"count(*) filter (where renewal_date::date >= $end) from {organizations}",
        {"end": demo.end.date()},
    )
    assert leap_signups > 0 and renewals_past > 0 and renewals_ahead > renewals_past
    contacts = relation(files_of(demo, "contacts"))
    no_email, no_phone, opted_in = row(
        f"select count(*) filter (where email is null), count(*) filter (where phone is null), "
        f"count(*) filter (where sms_opt_in) from {contacts}"
    )
    assert 0 < no_email < no_phone < demo.counts["contacts"] and opted_in > 0
    subscriptions = relation(files_of(demo, "subscriptions"))
    statuses = rows(f"select distinct audience = '*', status from {subscriptions} order by all")
    assert statuses == [
        (False, "subscribed"),
        (False, "unsubscribed"),
        (True, "subscribed"),
        (True, "unsubscribed"),
    ]


def test_parquet_only_writes_parquet(tmp_path: Path) -> None:
    manifest = sample.write_sample(tmp_path, TINY, formats="parquet")
    assert {path.suffix for path in manifest.files} == {".parquet"}
    assert sorted(tmp_path.iterdir()) == sorted(manifest.files)  # no partial files left
    with pytest.raises(ValueError, match="formats"):
        sample.write_sample(tmp_path, TINY, formats="xml")


def test_xs_row_counts_match_its_size(tmp_path: Path) -> None:
    size = sample.SCALES["xs"]
    manifest = sample.write_sample(tmp_path, "xs", formats="parquet")
    assert manifest.counts["organizations"] == size.organizations
    assert manifest.counts["contacts"] == size.contacts
    activities = relation(files_of(manifest, "activities-"))
    written, distinct = row(f"select count(*), count(distinct event_id) from {activities}")
    assert distinct == size.events
    assert written == manifest.counts["activities"] == size.events + manifest.duplicate_events
    assert 0 < manifest.duplicate_events < 0.01 * size.events


def test_an_hour_of_new_activity_has_its_own_event_ids(tmp_path: Path) -> None:
    history = sample.write_sample(tmp_path / "history", TINY, formats="parquet")
    first = sample.write_hour(tmp_path / "hours", TINY, 7, history.end)
    second = sample.write_hour(tmp_path / "hours", TINY, 7, history.end + timedelta(hours=1))
    assert first.name == "activities-2026-11-01T00.parquet"
    for path, hour in ((first, history.end), (second, history.end + timedelta(hours=1))):
        written, earliest, latest = row(
            f"select count(*), min(occurred_at), max(occurred_at) from '{path}'"
        )
        assert written == TINY.events_per_hour
        assert hour <= earliest and latest < hour + timedelta(hours=1)
    all_ids = relation(files_of(history, "activities-") + [first, second])
    distinct, total_hours = row(
        f"select count(distinct event_id), count(*) filter (where event_id like 'ev-2026%') "
        f"from {all_ids}"
    )
    assert total_hours == 2 * TINY.events_per_hour
    assert distinct == TINY.events + 2 * TINY.events_per_hour
    assert sample.write_hour(tmp_path / "again", TINY, 7, history.end).read_bytes() == (
        first.read_bytes()
    )


def test_scales_grow_tenfold() -> None:
    assert list(sample.SCALES) == ["demo", "xs", "s", "m", "l"]
    large = sample.SCALES["l"]
    assert (large.organizations, large.contacts, large.events, large.events_per_hour) == (
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000,
    )
    for smaller, larger in (("xs", "s"), ("s", "m"), ("m", "l")):
        assert sample.SCALES[larger].events_per_hour == 10 * sample.SCALES[smaller].events_per_hour
    with pytest.raises(ValueError, match="unknown sample size"):
        sample.resolve_size("xxl")
