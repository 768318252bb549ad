"""The command group, its global options, and what every command shares.

The commands live in the modules beside this one, by theme; each reads its options, calls the
library, and prints what happened on `console` (or `errors`, standard error).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console

from orgjourney_pipeline import catalog, warehouse
from orgjourney_pipeline.settings import ENGINES, Settings
from orgjourney_pipeline.timeutil import parse_instant


def _width(stream) -> int | None:
    """A terminal's own width; else 160 columns, so tables in logs and pipes keep theirs."""
    return None if stream.isatty() else 160


# soft_wrap: text is never hard-wrapped (a long path in a note stays one greppable line).
console = Console(highlight=False, soft_wrap=True, width=_width(sys.stdout))
errors = Console(stderr=True, highlight=False, soft_wrap=True, width=_width(sys.stderr))


class Instant(click.ParamType):
    """An ISO-8601 instant on the command line (no offset means UTC), or `now` (the clock)."""

    name = "TIMESTAMP"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        if isinstance(value, str) and value.strip().lower() == "now":
            return warehouse.utc_now()
        try:
            return parse_instant(value)
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO-8601 timestamp (e.g. 2026-01-05T09:00Z) or 'now'",
                param,
                ctx,
            )


INSTANT = Instant()

# `--json` on the commands SPEC lists: one JSON document (its schema in docs/schemas/).
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")

# Errors the user can act on: their message is the whole story.
USER_ERRORS = (
    warehouse.WarehouseBusy,
    warehouse.MigrationChanged,
    catalog.PublishedVersionChanged,
    catalog.DeliveryRulesInvalid,
)


class _Group(click.Group):
    """Errors the user can act on become one clear `Error:` line and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as error:
            raise click.ClickException(str(error)) from error


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="orgjourney", message="orgjourney %(version)s")
@click.option(
    "--warehouse", type=click.Path(path_type=Path), help="DuckDB file [ORGJOURNEY_WAREHOUSE]."
)
@click.option(
    "--journeys", type=click.Path(path_type=Path), help="Journey YAML folder [ORGJOURNEY_JOURNEYS]."
)
@click.option(
    "--inbox", type=click.Path(path_type=Path), help="Input files folder [ORGJOURNEY_INBOX]."
)
@click.option(
    "--exports", type=click.Path(path_type=Path), help="Exports folder [ORGJOURNEY_EXPORTS]."
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES, case_sensitive=False),
    help="duckdb (default) or spark [ORGJOURNEY_ENGINE]; on spark --warehouse is a directory.",
)
@click.option(
    "--spark-conf",
    "spark_conf",
    multiple=True,
    metavar="KEY=VALUE",
    help="A Spark setting (repeated) [ORGJOURNEY_SPARK_CONF].",
)
@click.pass_context
def cli(ctx: click.Context, warehouse, journeys, inbox, exports, engine, spark_conf) -> None:
    """orgjourney: organization journeys, evaluated in the warehouse."""
    from orgjourney_pipeline.engines.spark.session import parse_conf

    try:
        pairs = tuple(parse_conf(spark_conf).items())
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--spark-conf") from error
    ctx.obj = Settings.resolve(
        warehouse=warehouse,
        journeys=journeys,
        inbox=inbox,
        exports=exports,
        engine=engine,
        spark_conf=pairs,
    )


@contextlib.contextmanager
def open_warehouse(settings: Settings, *, read_only: bool = False) -> Iterator:
    """A warehouse connection for one command, closed when it ends.

    A reader waits for a run's window in progress (not for the whole run); any opener waits
    while another process holds the file. Either way it says so on standard error while
    waiting, and how long the wait was once it is over.
    """
    if settings.engine == "spark":  # the committed Parquet, read by DuckDB: never waits
        from orgjourney_pipeline import spark_pipeline

        con = spark_pipeline.open_reader(settings)
        try:
            yield con
        finally:
            con.close()
        return
    with _announced(settings) as on_wait:
        con = warehouse.connect(settings.warehouse, read_only=read_only, on_wait=on_wait)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def open_writer(settings: Settings) -> Iterator[warehouse.Writer]:
    """The warehouse for a writing command (`run`, `ingest`): open only while it writes, so
    that readers get in between its windows (`warehouse.Writer`)."""
    with contextlib.ExitStack() as stack:
        with _announced(settings) as on_wait:
            writer = stack.enter_context(warehouse.writing(settings.warehouse, on_wait=on_wait))
            writer.con  # noqa: B018 -- open now, so that a wait is announced with its length
        yield writer


@contextlib.contextmanager
def open_visit(settings: Settings) -> Iterator:
    """The file open for writing for one short visit between a run's windows (`preview`'s and
    `explain`'s rolled-back window, `validate`'s binding): waits for a window, not a run."""
    with contextlib.ExitStack() as stack:
        with _announced(settings) as on_wait:
            con = stack.enter_context(warehouse.visiting(settings.warehouse, on_wait=on_wait))
        yield con


@contextlib.contextmanager
def _announced(settings: Settings) -> Iterator:
    """An `on_wait` for the block that says on standard error what the command waits for,
    and at the block's end how long it waited."""
    started = time.monotonic()
    waited = False

    def note_wait(reason: str) -> None:
        nonlocal waited
        waited = True
        errors.print(
            f"waiting for {settings.warehouse}: {reason} (up to {warehouse.lock_wait():g} s)",
            soft_wrap=True,
            markup=False,
        )

    yield note_wait
    if waited:
        errors.print(f"the warehouse is free: waited {time.monotonic() - started:.2f} s")


def print_whole(table) -> None:
    """Print a table at the width its cells need when wider than the console: an address or a
    reason is never cut with an ellipsis (a terminal wraps the long lines instead)."""
    needed = console.measure(table, options=console.options.update(max_width=10**6)).maximum
    width = console.width
    console.width = max(width, needed)
    try:
        console.print(table)
    finally:
        console.width = width


def print_freshness(data) -> None:
    """What the data reaches (`status.Freshness`), and on standard error a warning for each
    reference the command's instant is more than a day past."""
    console.print(data.line(), markup=False)
    for warning in data.warnings():
        errors.print(f"warning: {warning}", markup=False)


def main() -> None:
    """Console script entry point."""
    cli()
