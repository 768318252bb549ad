"""Steps that update the organization: `tag_org` and `update_org` (SPEC section 3, Steps).

An update is a row of `org_updates`, laid over the CRM snapshot until a newer snapshot
arrives, so later steps of the same run and later filters see it. The updates a step makes
are data (`step_updates`), joined by the walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from orgjourney_pipeline.journeys.canonical import as_text, canonical, plain
from orgjourney_pipeline.journeys.model import BUILTIN_ORG_FIELDS, field_name, known_field
from orgjourney_pipeline.journeys.steps.base import Step


@dataclass(frozen=True)
class TagOrg(Step):
    """`tag_org: {add: [..], remove: [..]}`."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    ACTION: ClassVar[str] = "tag_org"

    @classmethod
    def read(cls, reader, source, common):
        where = f"{source.where}.tag_org"
        body = reader.mapping(source.body, where, source.body_line)
        if body is None:
            return None
        reader.known_keys(body, ("add", "remove"), where)
        add = reader.word_list(body, "add", where)
        remove = reader.word_list(body, "remove", where)
        if not add and not remove:
            reader.error(source.body_line, f"{where}: give tags to `add` or `remove`")
        return cls(add=add, remove=remove, **common)

    def body_definition(self) -> Any:
        body = {}
        if self.add:
            body["add"] = list(self.add)
        if self.remove:
            body["remove"] = list(self.remove)
        return body

    def updates(self, org_fields):
        # Tags are compared lower-cased everywhere, so they are stored so.
        return [
            *(("tag_add", str(tag).lower(), "") for tag in self.add),
            *(("tag_remove", str(tag).lower(), "") for tag in self.remove),
        ]


@dataclass(frozen=True)
class UpdateOrg(Step):
    """`update_org: {field: F, value: V}`: a custom field of the organization, as text."""

    field: str
    value: Any
    ACTION: ClassVar[str] = "update_org"

    @classmethod
    def read(cls, reader, source, common):
        where = f"{source.where}.update_org"
        body = reader.mapping(source.body, where, source.body_line)
        if body is None:
            return None
        reader.known_keys(body, ("field", "value"), where)
        name = reader.text(body, "field", where)
        if name is not None and known_field(name, BUILTIN_ORG_FIELDS):
            reader.error(
                reader.line_of(body, "field"),
                f"{where}.field: '{name}' is built in and cannot be updated (use tag_org for tags)",
            )
        value = plain(body.get("value"))
        if "value" not in body or isinstance(value, dict | list):
            reader.error(source.body_line, f"{where}: needs a single `value`")
            return None
        if name is None:
            return None
        return cls(field=name, value=value, **common)

    def body_definition(self) -> Any:
        return {"field": self.field, "value": canonical(self.value)}

    def updates(self, org_fields):
        return [("field", field_name(self.field, org_fields), as_text(self.value))]

    def fields_set(self):
        return (self.field,)
