"""The organization overlay: organizations as the journeys see them (SPEC section 4).

Organization updates (`tag_org`, `update_org`) are laid over the CRM snapshot until a newer
snapshot arrives. The overlay's query is `sql/compiled/organizations_at.sql`; its columns
depend on the organizations' custom fields and on the fields steps set, so they are added
here, as sqlglot nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlglot import exp

from orgjourney_pipeline import sqlfiles
from orgjourney_pipeline.journeys.fields import known_field_types
from orgjourney_pipeline.journeys.model import field_name
from orgjourney_pipeline.journeys.sqlexpr import WindowValue, timestamp

# The window end of the `organizations` view: the newest snapshot and every update since.
END_OF_TIME = datetime(9999, 12, 31)

_SQL_TYPES = {
    "number": exp.DataType.Type.DOUBLE,
    "date": exp.DataType.Type.DATE,
    "timestamp": exp.DataType.Type.TIMESTAMP,
    "bool": exp.DataType.Type.BOOLEAN,
}


def organizations_at(
    snapshot_columns: list[str],
    field_types: Mapping[str, str],
    updated_fields: Iterable[str],
    window_end: datetime | WindowValue,
) -> exp.Query:
    """Organizations as journeys see them: the snapshot with later step updates laid over it.

    `snapshot_columns` are the columns of `org_snapshot_at`; `updated_fields` every field
    that steps may have set (an unknown one becomes a new text column).
    """
    query = sqlfiles.load("compiled/organizations_at.sql").bind(window_end=timestamp(window_end))
    updated = sorted(set(updated_fields))
    field_values = next(cte.this for cte in query.find_all(exp.CTE) if cte.alias == "field_values")
    for field in updated:
        pick = exp.Max(
            this=exp.If(
                this=exp.EQ(this=exp.column("name"), expression=exp.Literal.string(field.lower())),
                true=exp.column("value"),
            )
        )
        field_values.select(pick.as_(exp.to_identifier(field, quoted=True)), copy=False)

    columns = []
    for column in snapshot_columns:
        ident = exp.to_identifier(column, quoted=True)
        if column == "org_id":
            continue
        if column == "tags":
            value = exp.Case(
                ifs=[
                    exp.If(
                        this=exp.column("org_id", "tl").is_(exp.Null()).not_(),
                        true=exp.column("tags", "tl"),
                    )
                ],
                default=exp.column("tags", "o"),
            )
        elif column in updated:
            value = exp.Coalesce(
                this=_typed(exp.column(ident.copy(), "fv"), field_types.get(column, "text")),
                expressions=[exp.column(ident.copy(), "o")],
            )
        else:
            value = exp.column(ident.copy(), "o")
        columns.append(value.as_(ident))
    for field in updated:
        if field not in snapshot_columns:
            ident = exp.to_identifier(field, quoted=True)
            columns.append(exp.column(ident.copy(), "fv").as_(ident))
    query.select(*columns, copy=False)
    return query


def step_fields(org_fields: dict[str, str], names: Iterable[str]) -> set[str]:
    """The fields steps set or may set, each by its one name (field names ignore case,
    whatever case each journey wrote); a field only steps set is added to `org_fields` as
    text."""
    updated = {field_name(name, org_fields) for name in names}
    for name in updated:
        org_fields.setdefault(name, "text")
    return updated


def current_organizations(
    version_columns: Iterable[str], rows: Callable[[str], list[tuple]]
) -> str:
    """The query (DuckDB's SQL) of the analysts' `organizations` view, SPEC section 4's "as
    the filters see it": the overlay with no time bound, over the newest snapshot as the CRM
    spelled it (`org_snapshot_now.sql`).

    Its columns follow the data, so the warehouse makes it again when they may change:
    `version_columns` are those of `organization_versions`; `rows` runs a query of the
    warehouse (its custom fields and the fields steps set).
    """
    org_fields, _ = known_field_types(rows)
    updated_names = [name for (name,) in rows(sqlfiles.load("runner/updated_fields.sql").sql())]
    updated = step_fields(org_fields, updated_names)
    snapshot_columns = [c for c in version_columns if c not in ("valid_to", "row_hash")]
    query = organizations_at(snapshot_columns, org_fields, updated, END_OF_TIME)
    snapshot = sqlfiles.load("compiled/org_snapshot_now.sql").bind()
    first = exp.CTE(this=snapshot, alias=exp.TableAlias(this=exp.to_identifier("org_snapshot_at")))
    query.find(exp.With).expressions.insert(0, first)  # before the CTEs that read it
    return query.sql(dialect="duckdb")


def _typed(value: exp.Expression, field_type: str) -> exp.Expression:
    if field_type in _SQL_TYPES:
        return exp.TryCast(this=value, to=exp.DataType.build(_SQL_TYPES[field_type]))
    return value
