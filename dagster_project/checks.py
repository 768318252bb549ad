"""Asset checks: the data-quality checks of `orgjourney check`, each on the table it checks.

- the input tables: one check per input rule (unique ids, required values, timestamps in a
  sane range, memberships naming known organizations and contacts; malformed emails and
  phones at severity WARN), evaluated by the ingest asset after it has loaded the inbox;
- the window tables: one check per output rule (a window processed once, unique send ids, no
  send to an unsubscribed contact or a non-member, frequency respected, no conversion before
  its entry), evaluated by the window asset over the windows of its run only (`since` <
  window end <= `until`), and `journey_files_valid` on `journeys`, which fails when a journey
  file is invalid — such a journey is stopped while the others run, so the window succeeds
  and this check is what turns red. (A changed published version fails the window itself.)

The assets evaluate them on their own connection, right after writing, so a check never
waits for the warehouse's lock nor sees another run's windows. They call
`orgjourney_pipeline.checks`, as `orgjourney check` does.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb

from orgjourney_pipeline import checks

JOURNEY_FILES_CHECK = "journey_files_valid"
JOURNEY_FILES_DESCRIPTION = "Every journey file is valid; a published version is never changed."
_SEVERITY = {checks.ERROR: dg.AssetCheckSeverity.ERROR, checks.WARNING: dg.AssetCheckSeverity.WARN}


def input_check_specs() -> list[dg.AssetCheckSpec]:
    """The input rules, each on its table."""
    return _specs(checks.INPUTS)


def output_check_specs() -> list[dg.AssetCheckSpec]:
    """The output rules, each on its table, and the journey files on `journeys`."""
    journey_files = dg.AssetCheckSpec(
        JOURNEY_FILES_CHECK,
        asset=_CHECKED_TABLE[JOURNEY_FILES_CHECK],
        description=JOURNEY_FILES_DESCRIPTION,
    )
    return [*_specs(checks.OUTPUTS), journey_files]


def input_check_results(con: duckdb.DuckDBPyConnection) -> list[dg.AssetCheckResult]:
    """The input rules over the warehouse's current inputs."""
    return [check_result(result) for result in checks.run_checks(con, (checks.INPUTS,))]


def output_check_results(
    con: duckdb.DuckDBPyConnection, since: datetime, until: datetime, journeys_dir: Path
) -> list[dg.AssetCheckResult]:
    """The output rules over the windows ending in (`since`, `until`], and the journey files."""
    found = checks.run_checks(con, (checks.OUTPUTS,), since=since, until=until)
    found.append(checks.check_journey_files(con, journeys_dir))
    return [check_result(result) for result in found]


def check_result(result: checks.CheckResult) -> dg.AssetCheckResult:
    """A Dagster check result for one orgjourney check, with its failing rows and examples."""
    metadata: dict[str, object] = {
        "failing_rows": result.failing_rows,
        "checked_rows": result.checked_rows,
        "status": result.status,
    }
    if result.examples:
        metadata["examples"] = dg.MetadataValue.md(
            "\n".join(f"- `{example}`" for example in result.examples[:10])
        )
    return dg.AssetCheckResult(
        asset_key=_CHECKED_TABLE[result.name],
        check_name=result.name,
        passed=result.passed,
        severity=_SEVERITY[result.severity],
        description=result.description,
        metadata=metadata,
    )


_CHECKED_TABLE = {
    **{check.name: check.table for check in checks.CHECKS},
    JOURNEY_FILES_CHECK: "journeys",
}


def _specs(scope: str) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            check.name,
            asset=check.table,
            additional_deps=list(check.tables[1:]),
            description=check.description,
        )
        for check in checks.CHECKS
        if check.scope == scope
    ]
