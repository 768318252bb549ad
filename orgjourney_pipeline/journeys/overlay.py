"""The organization overlay: organizations as the journeys see them (SPEC section 4).

Organization updates (`tag_org`, `update_org`) are laid over the CRM snapshot until a newer
snapshot arrives. The overlay's query is `sql/compiled/organizations_at.sql`; its columns
depend on the organizations' custom fields and on the fields steps set, so they are added
here, as sqlglot nodes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlglot import exp

from orgjourney_pipeline import sqlfiles

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
    window_end: datetime,
) -> exp.Query:
    """Organizations as journeys see them: the snapshot with later step updates laid over it.

    `snapshot_columns` are the columns of `org_snapshot_at`; `updated_fields` every field
    that steps may have set (an unknown one becomes a new text column).
    """
    query = sqlfiles.load("compiled/organizations_at.sql").bind(window_end=window_end)
    updated = sorted(set(updated_fields))
    field_values = next(cte.this for cte in query.find_all(exp.CTE) if cte.alias == "field_values")
    for field_name in updated:
        pick = exp.Max(
            this=exp.If(
                this=exp.EQ(
                    this=exp.column("name"), expression=exp.Literal.string(field_name.lower())
                ),
                true=exp.column("value"),
            )
        )
        field_values.select(pick.as_(exp.to_identifier(field_name, quoted=True)), copy=False)

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
    for field_name in updated:
        if field_name not in snapshot_columns:
            ident = exp.to_identifier(field_name, quoted=True)
            columns.append(exp.column(ident.copy(), "fv").as_(ident))
    query.select(*columns, copy=False)
    return query


def _typed(value: exp.Expression, field_type: str) -> exp.Expression:
    if field_type in _SQL_TYPES:
        return exp.TryCast(this=value, to=exp.DataType.build(_SQL_TYPES[field_type]))
    return value
