"""Asset checks: the data-quality checks of `orgjourney check`, and the journey files.

- `inbox_files`: one check per input rule (unique ids, required values, timestamps in a sane
  range, memberships naming known organizations and contacts; malformed emails and phones
  at severity WARN).
- `journey_window`: one check per output rule (a window processed once, unique send ids, no
  send to an unsubscribed contact or a non-member, frequency respected, no conversion before
  its entry), and `journey_files_valid`, which fails when a journey file is invalid — such a
  journey is stopped while the others run, so the window succeeds and this check is what
  turns red. (A changed published version fails the window itself.)

They call `orgjourney_pipeline.checks`, as the CLI does, over the whole warehouse, read-only,
in the warehouse pool so that they wait for a writing run instead of failing on its lock.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of check
# functions at definition time to find their resources.
from collections.abc import Iterator

import dagster as dg

from orgjourney_pipeline import checks

from .assets import WAREHOUSE_POOL
from .resources import OrgjourneyResource

INPUT_ASSET = dg.AssetKey("inbox_files")
OUTPUT_ASSET = dg.AssetKey("journey_window")
JOURNEY_FILES_CHECK = "journey_files_valid"
_SEVERITY = {checks.ERROR: dg.AssetCheckSeverity.ERROR, checks.WARNING: dg.AssetCheckSeverity.WARN}


def _specs(scope: str, asset: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(check.name, asset=asset, description=check.description)
        for check in checks.CHECKS
        if check.scope == scope
    ]


def check_result(result: checks.CheckResult, asset: dg.AssetKey) -> dg.AssetCheckResult:
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
        asset_key=asset,
        check_name=result.name,
        passed=result.passed,
        severity=_SEVERITY[result.severity],
        description=result.description,
        metadata=metadata,
    )


@dg.multi_asset_check(
    specs=_specs(checks.INPUTS, INPUT_ASSET),
    name="inbox_files_quality",
    description="Great Expectations checks on the loaded inputs.",
    pool=WAREHOUSE_POOL,
)
def inbox_files_quality(orgjourney: OrgjourneyResource) -> Iterator[dg.AssetCheckResult]:
    """The input rules of `orgjourney check --inputs`, over the warehouse's current state."""
    with orgjourney.connect(read_only=True) as con:
        results = checks.run_checks(con, (checks.INPUTS,))
    for result in results:
        yield check_result(result, INPUT_ASSET)


@dg.multi_asset_check(
    specs=_specs(checks.OUTPUTS, OUTPUT_ASSET),
    name="journey_window_quality",
    description="Great Expectations checks on what the windows wrote.",
    pool=WAREHOUSE_POOL,
)
def journey_window_quality(orgjourney: OrgjourneyResource) -> Iterator[dg.AssetCheckResult]:
    """The output rules of `orgjourney check --outputs`, over every processed window."""
    with orgjourney.connect(read_only=True) as con:
        results = checks.run_checks(con, (checks.OUTPUTS,))
    for result in results:
        yield check_result(result, OUTPUT_ASSET)


@dg.asset_check(
    asset=OUTPUT_ASSET,
    name=JOURNEY_FILES_CHECK,
    description="Every journey file is valid; a published version is never changed.",
    pool=WAREHOUSE_POOL,
)
def journey_files_valid(orgjourney: OrgjourneyResource) -> dg.AssetCheckResult:
    """Fails, naming file and line, when a journey file is invalid (that journey is stopped)."""
    settings = orgjourney.settings()
    if settings.warehouse.exists():
        with orgjourney.connect(read_only=True) as con:
            result = checks.check_journey_files(con, settings.journeys)
    else:
        result = checks.check_journey_files(None, settings.journeys)
    return check_result(result, OUTPUT_ASSET)


asset_checks = [inbox_files_quality, journey_window_quality, journey_files_valid]
