"""The journey language (SPEC section 3): journey files read, checked and compiled to SQL.

It imports no engine: it reads YAML into journeys (`load`), checks their fields (`fields`)
and builds, as sqlglot ASTs, what one window's SQL needs from them (`compile`). Its kinds are
classes with registries: entry kinds (`entries.ENTRY_KINDS`), filter nodes
(`filters.FILTER_KINDS`), field operators (`comparisons.OPERATORS`) and step kinds
(`steps.STEP_KINDS`).
"""

from orgjourney_pipeline.journeys.comparisons import OPERATORS, OPS
from orgjourney_pipeline.journeys.delivery import Cap, DeliveryRules
from orgjourney_pipeline.journeys.delivery_file import load_delivery, parse_delivery_text
from orgjourney_pipeline.journeys.entries import (
    ENTRY_KINDS,
    ActivityEntry,
    AnniversaryEntry,
    ApproachingDateEntry,
    EntryKind,
    FilterEntry,
    RecurringEntry,
    TagsEntry,
)
from orgjourney_pipeline.journeys.fields import KnownFields, check_fields, journey_filters
from orgjourney_pipeline.journeys.filters import (
    FILTER_KINDS,
    ActivityCondition,
    AllOf,
    AnyOf,
    FieldCondition,
    FilterNode,
    MembersCondition,
    Not,
    TagCondition,
    compile_filter,
)
from orgjourney_pipeline.journeys.load import (
    journey_files,
    journey_from_definition,
    load_journey,
    load_journeys,
    parse_journey_text,
)
from orgjourney_pipeline.journeys.model import (
    BUILTIN_CONTACT_FIELDS,
    BUILTIN_ORG_FIELDS,
    FREQUENCIES,
    MAX_ALIAS_VALUES,
    NUMBER_BOUNDS,
    STATES,
    WEEKDAYS,
    Attribution,
    Duration,
    Exit,
    Journey,
    SendWindow,
)
from orgjourney_pipeline.journeys.problems import ERROR, WARNING, Problem, has_errors
from orgjourney_pipeline.journeys.recipients import TriggeringContacts
from orgjourney_pipeline.journeys.sqlexpr import Clock, FilterScope
from orgjourney_pipeline.journeys.steps import (
    ACTIONS,
    STEP_KINDS,
    Condition,
    Delay,
    ExitStep,
    SendEmail,
    SendSms,
    Split,
    Step,
    TagOrg,
    UpdateOrg,
    WaitFor,
)

Filter = FilterNode

__all__ = [
    "ACTIONS",
    "BUILTIN_CONTACT_FIELDS",
    "BUILTIN_ORG_FIELDS",
    "ENTRY_KINDS",
    "ERROR",
    "FILTER_KINDS",
    "FREQUENCIES",
    "MAX_ALIAS_VALUES",
    "NUMBER_BOUNDS",
    "OPERATORS",
    "OPS",
    "STATES",
    "STEP_KINDS",
    "WARNING",
    "WEEKDAYS",
    "ActivityCondition",
    "ActivityEntry",
    "AllOf",
    "AnniversaryEntry",
    "AnyOf",
    "ApproachingDateEntry",
    "Attribution",
    "Cap",
    "Clock",
    "Condition",
    "Delay",
    "DeliveryRules",
    "Duration",
    "EntryKind",
    "Exit",
    "ExitStep",
    "FieldCondition",
    "Filter",
    "FilterEntry",
    "FilterNode",
    "FilterScope",
    "Journey",
    "KnownFields",
    "MembersCondition",
    "Not",
    "Problem",
    "RecurringEntry",
    "SendEmail",
    "SendSms",
    "SendWindow",
    "Split",
    "Step",
    "TagCondition",
    "TagOrg",
    "TagsEntry",
    "TriggeringContacts",
    "UpdateOrg",
    "WaitFor",
    "check_fields",
    "compile_filter",
    "has_errors",
    "journey_files",
    "journey_filters",
    "journey_from_definition",
    "load_delivery",
    "load_journey",
    "load_journeys",
    "parse_delivery_text",
    "parse_journey_text",
]
