"""Steps that choose a branch: `condition` and `split` (SPEC section 3, Steps).

Each puts its choices in a compiled relation that the step walk joins: a condition's in
`condition_choices` (enrollment, step, branch number, target; the walk takes the first), its
branches being its `if` filters, evaluated at the run that reaches it over the organization
as the walk left it (`organizations_live`), and its `else`; a split's in `split_choices`
(enrollment, step, target): the branch whose percent range holds the enrollment's bucket, a
hash of enrollment and step, so it is random but deterministic. The two stay apart: planned
as one union, DuckDB would compute every condition's activity counts in every pass of the
walk, even with no enrollment at a condition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlglot import exp

from orgjourney_pipeline.journeys import graph
from orgjourney_pipeline.journeys.canonical import canonical
from orgjourney_pipeline.journeys.filters import FilterContext, FilterNode, read_filter
from orgjourney_pipeline.journeys.steps.base import Step, step_literals
from orgjourney_pipeline.journeys.templates import relation

ELSE_BRANCH = 1_000_000  # branch number of a condition's `else`: after every `if`


@dataclass(frozen=True)
class Condition(Step):
    """`condition: [{if: <org filter>, goto: id}, .., {else: id}]`: the first matching branch."""

    branches: tuple[tuple[FilterNode, str], ...]
    else_: str | None = None
    ACTION: ClassVar[str] = "condition"
    CHOOSES_BRANCH: ClassVar[bool] = True
    OUTCOME: ClassVar[str] = "goto:"  # followed by the target

    @classmethod
    def read(cls, reader, source, common):
        where, body, line = source.where, source.body, source.body_line
        if not isinstance(body, list) or not body:
            reader.error(
                line, f"{where}.condition: expected a list of {{if, goto}} and an {{else}}"
            )
            return None
        branches, else_ = [], None
        for i, branch in enumerate(body):
            branch_line = reader.line_of(body, i, line)
            label = f"{where}.condition[{i}]"
            if isinstance(branch, Mapping) and set(branch) == {"else"}:
                if i != len(body) - 1:
                    reader.error(branch_line, f"{label}: `else` must be the last branch")
                else_ = str(branch["else"])
                reader.note_target(
                    common["id"], "else", else_, reader.line_of(branch, "else", branch_line)
                )
                continue
            if not isinstance(branch, Mapping) or set(branch) != {"if", "goto"}:
                reader.error(
                    branch_line, f"{label}: expected {{if: <filter>, goto: id}} or {{else: id}}"
                )
                return None
            condition = read_filter(
                reader,
                branch["if"],
                f"{label}.if",
                reader.line_of(branch, "if", branch_line),
                FilterContext("org", since_allowed=True),
            )
            if condition is None:
                return None
            goto = str(branch["goto"])
            branches.append((condition, goto))
            reader.note_target(
                common["id"], "goto", goto, reader.line_of(branch, "goto", branch_line)
            )
        return cls(branches=tuple(branches), else_=else_, **common)

    def body_definition(self) -> Any:
        body: list[dict[str, Any]] = [
            {"if": condition.definition(), "goto": goto} for condition, goto in self.branches
        ]
        if self.else_ is not None:
            body.append({"else": self.else_})
        return body

    def targets(self, default):
        return [*(("goto", goto) for _, goto in self.branches), ("else", self.else_ or default)]

    def filters(self):
        return [("org", f"step '{self.id}' condition", condition) for condition, _ in self.branches]

    def relations(self, journey, context):
        scope = context.org_scope(journey, enrollment="w")
        default = graph.default_next(self, [step.id for step in journey.steps])
        choices = [
            relation(
                "condition_branch",
                **step_literals(journey, self),
                branch_no=number,
                target_step_id=goto,
                condition=condition.predicate(scope),
            )
            for number, (condition, goto) in enumerate(self.branches, 1)
        ]
        choices.append(
            relation(
                "condition_branch",
                **step_literals(journey, self),
                branch_no=ELSE_BRANCH,
                target_step_id=self.else_ or default,
                condition=exp.true(),
            )
        )
        return {"condition_choices": choices}


@dataclass(frozen=True)
class Split(Step):
    """`split: [{percent: P, goto: id}, ..]`: whole percents adding up to 100."""

    branches: tuple[tuple[int, str], ...]
    ACTION: ClassVar[str] = "split"
    CHOOSES_BRANCH: ClassVar[bool] = True
    OUTCOME: ClassVar[str] = "goto:"  # followed by the target

    @classmethod
    def read(cls, reader, source, common):
        where, body, line = source.where, source.body, source.body_line
        if not isinstance(body, list) or not body:
            reader.error(line, f"{where}.split: expected a list of {{percent, goto}}")
            return None
        branches = []
        for i, branch in enumerate(body):
            branch_line = reader.line_of(body, i, line)
            if not isinstance(branch, Mapping) or set(branch) != {"percent", "goto"}:
                reader.error(branch_line, f"{where}.split[{i}]: expected {{percent: P, goto: id}}")
                return None
            percent = reader.number(branch, "percent", f"{where}.split[{i}]")
            if percent is None:
                return None
            goto = str(branch["goto"])
            branches.append((percent, goto))
            reader.note_target(
                common["id"], "goto", goto, reader.line_of(branch, "goto", branch_line)
            )
        total = sum(percent for percent, _ in branches)
        if abs(total - 100) > 1e-9 or any(int(p) != p for p, _ in branches):
            reader.error(line, f"{where}.split: whole percents must add up to 100 (got {total:g})")
            return None
        return cls(branches=tuple((int(p), goto) for p, goto in branches), **common)

    def body_definition(self) -> Any:
        return [{"percent": canonical(percent), "goto": goto} for percent, goto in self.branches]

    def targets(self, default):
        return [("goto", goto) for _, goto in self.branches]

    def relations(self, journey, context):
        choices, low = [], 0
        for percent, goto in self.branches:
            choices.append(
                relation(
                    "split_branch",
                    **step_literals(journey, self),
                    target_step_id=goto,
                    percent_low=low,
                    percent_high=low + percent,
                )
            )
            low += percent
        return {"split_choices": choices}
