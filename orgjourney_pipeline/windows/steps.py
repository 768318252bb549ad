"""The window's SQL step files: each a single `SELECT` and where its rows go.

Each file under `sql/window/` has a header of `-- key: value` lines (see `sqlfiles`):

    -- target: contact_activity
    -- write: upsert (contact_id, activity_type)

`write` is a write mode of the engines (`engines.WRITE_MODES`: view, temp, append, upsert
with its key columns, replace); the engine turns it into its own statements. `-- when: name`
runs the step only in windows whose parameter `name` is true (the daily compaction of the
activity rollup), `-- when: not name` only in those where it is false; in the others it
writes nothing and runs no statement.

The SELECTs never write, so the same files run on an engine without UPDATE or MERGE.
Parameters (`$window_end`, ..) become literals built by sqlglot, never pasted text. A table
named `compiled.<name>` is a relation compiled from the journeys for this window; the
statement reads it in its place. Each statement is generated once per process, with its
slots marked; a window fills the slots with the SQL sqlglot generated for its literals and
relations (generating every statement again each window cost 27 ms of Python a window).

A sub-folder is a loop group: its files run in order, again and again, until the rows of its
first step are none (the step walk: every enrollment moves one step per iteration).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from sqlglot import exp

from orgjourney_pipeline.engines import WRITE_MODES, Engine
from orgjourney_pipeline.settings import sql_dir
from orgjourney_pipeline.sqlfiles import SqlFileError, literal, parse_text

_UPSERT = re.compile(r"^upsert\s*\(([^)]*)\)$")
_TOKEN = re.compile(r"__(param|compiled)_([A-Za-z0-9_]+?)__")


class StepFileError(SqlFileError):
    """A SQL step file whose header or statement is not what the runner expects."""


@dataclass(frozen=True)
class SqlStep:
    """One SQL step file: its statement and where its rows go."""

    name: str
    path: Path
    target: str
    write: str
    keys: tuple[str, ...]
    statement: exp.Expression
    when: str | None = None  # the boolean parameter that must be true for the step to run
    when_not: bool = False  # `-- when: not name`: it must be false instead

    @cached_property
    def parameters(self) -> frozenset[str]:
        """Names of the `$name` placeholders the statement (and its `when`) uses."""
        names = {node.name for node in self.statement.find_all(exp.Placeholder)}
        return frozenset(names | ({self.when} if self.when else set()))

    def runs(self, params: Mapping[str, object]) -> bool:
        """Whether the step runs in a window with these parameters (its `when`)."""
        if not self.when:
            return True
        if self.when not in params:
            raise StepFileError(f"{self.path.name}: no value for its 'when' {self.when!r}")
        return bool(params[self.when]) != self.when_not

    @cached_property
    def compiled_relations(self) -> frozenset[str]:
        """Names of the `compiled.<name>` relations the statement uses."""
        return frozenset(
            table.name for table in self.statement.find_all(exp.Table) if table.db == "compiled"
        )

    @cached_property
    def template(self) -> str:
        """The statement as DuckDB SQL once, with tokens where values and relations go."""

        def mark(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Placeholder):
                return exp.column(f"__param_{node.name}__")
            if isinstance(node, exp.Table) and node.db == "compiled":
                return exp.Table(
                    this=exp.to_identifier(f"__compiled_{node.name}__"),
                    alias=exp.TableAlias(this=exp.to_identifier(node.alias or node.name)),
                )
            return node

        return self.statement.transform(mark).sql(dialect="duckdb", comments=False)

    def render(
        self,
        params: Mapping[str, object],
        compiled: Mapping[str, exp.Query | str] | None = None,
    ) -> str:
        """The statement as DuckDB SQL: placeholders become literals, `compiled.x` its query.

        Values are rendered as literals by sqlglot, so a value is never SQL text.
        """
        compiled = compiled or {}
        missing = self.parameters - set(params)
        if missing:
            raise StepFileError(f"{self.path.name}: no value for parameter(s) {sorted(missing)}")
        absent = self.compiled_relations - set(compiled)
        if absent:
            raise StepFileError(f"{self.path.name}: no compiled relation(s) {sorted(absent)}")

        def substitute(match: re.Match) -> str:
            kind, name = match.groups()
            if kind == "param":
                return literal_sql(params[name])
            query = compiled[name]
            return f"({query if isinstance(query, str) else query.sql(dialect='duckdb')})"

        return _TOKEN.sub(substitute, self.template)


@dataclass(frozen=True)
class LoopGroup:
    """Step files that run again and again until the first one selects no rows."""

    name: str
    steps: tuple[SqlStep, ...]


def load_steps(folder: str | Path | None = None) -> list[SqlStep | LoopGroup]:
    """Every step file of a folder (default `sql/window/`) and its loop groups, by name.

    Parsed once per process while the files stay as they are: an invocation that runs one
    window (the hourly schedule, the benchmark) does not parse and render them again.
    """
    folder = Path(folder) if folder is not None else sql_dir() / "window"
    files = tuple((str(path), path.stat().st_mtime_ns) for path in sorted(folder.rglob("*.sql")))
    return list(_parsed_steps(folder, files))


@lru_cache(maxsize=8)
def _parsed_steps(
    folder: Path, files: tuple[tuple[str, int], ...]
) -> tuple[SqlStep | LoopGroup, ...]:
    """The steps of `folder`, with their templates rendered; `files` keys the cache."""
    entries: list[SqlStep | LoopGroup] = []
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            group = tuple(parse_step(child) for child in sorted(path.glob("*.sql")))
            if group:
                entries.append(LoopGroup(path.name, group))
        elif path.suffix == ".sql":
            entries.append(parse_step(path))
    for step in flat_steps(entries):  # render the templates and name inputs now, not in a window
        _ = step.template, step.parameters, step.compiled_relations
    return tuple(entries)


def flat_steps(entries: Iterable[SqlStep | LoopGroup]) -> list[SqlStep]:
    """Every step of `entries` in the order of a window's first pass, a loop group's steps in
    its place."""
    return [
        step
        for entry in entries
        for step in (entry.steps if isinstance(entry, LoopGroup) else (entry,))
    ]


def parse_step(path: Path) -> SqlStep:
    """Read one step file: its header directives and its single SELECT."""
    try:
        sql_file = parse_text(path.read_text(), path)
    except SqlFileError as error:
        raise StepFileError(str(error)) from error
    header = sql_file.header
    if "target" not in header or "write" not in header:
        raise StepFileError(f"{path.name}: the header needs '-- target:' and '-- write:' lines")
    write, keys = header["write"], ()
    upsert = _UPSERT.match(write)
    if upsert:
        write = "upsert"
        keys = tuple(key.strip() for key in upsert.group(1).split(",") if key.strip())
        if not keys:
            raise StepFileError(f"{path.name}: 'upsert' needs key columns")
    if write not in WRITE_MODES:
        raise StepFileError(f"{path.name}: unknown write mode {header['write']!r}")
    if not isinstance(sql_file.statement, exp.Query):
        raise StepFileError(f"{path.name}: a step file holds exactly one SELECT")
    when, when_not = header.get("when"), False
    if when is not None and when.startswith("not "):
        when, when_not = when.removeprefix("not ").strip(), True
    if when is not None and not when.isidentifier():
        raise StepFileError(f"{path.name}: 'when' names a parameter, or 'not' and one: {when!r}")
    return SqlStep(
        path.stem, path, header["target"], write, keys, sql_file.statement, when, when_not
    )


def run_step(
    engine: Engine,
    step: SqlStep,
    params: Mapping[str, object],
    compiled: Mapping[str, exp.Query | str] | None = None,
) -> int:
    """Execute a step and write its rows as its header says; return the number of rows.

    A step its `when` does not run (`SqlStep.runs`) does nothing and returns 0.
    """
    if not step.runs(params):
        return 0
    return engine.write(step.render(params, compiled), step.target, step.write, step.keys)


@lru_cache(maxsize=256, typed=True)
def literal_sql(value: object) -> str:
    """`literal(value)` as DuckDB SQL; a window renders the same few values in every step."""
    return literal(value).sql(dialect="duckdb")
