"""Step kinds: one class per action (SPEC section 3, Steps), and reading a step.

`STEP_KINDS` is the registry: the action key of a step's mapping names its class, and the
class does the rest (see `base.Step`). A new kind is a new class here and, if it has a
compiled part, one template in `sql/compiled/`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from orgjourney_pipeline.journeys.model import ID_PATTERN
from orgjourney_pipeline.journeys.reader import NodeReader
from orgjourney_pipeline.journeys.steps.base import Step, StepSource
from orgjourney_pipeline.journeys.steps.branches import ELSE_BRANCH, Condition, Split
from orgjourney_pipeline.journeys.steps.ends import ExitStep
from orgjourney_pipeline.journeys.steps.sends import SendEmail, SendSms
from orgjourney_pipeline.journeys.steps.updates import TagOrg, UpdateOrg
from orgjourney_pipeline.journeys.steps.waits import Delay, WaitFor

__all__ = [
    "ACTIONS",
    "ELSE_BRANCH",
    "STEP_KINDS",
    "Condition",
    "Delay",
    "ExitStep",
    "SendEmail",
    "SendSms",
    "Split",
    "Step",
    "TagOrg",
    "UpdateOrg",
    "WaitFor",
    "read_step",
]

#: The step kinds by action key, in the contract's order.
STEP_KINDS: dict[str, type[Step]] = {
    kind.ACTION: kind
    for kind in (SendEmail, SendSms, Delay, WaitFor, Condition, Split, TagOrg, UpdateOrg, ExitStep)
}
ACTIONS = tuple(STEP_KINDS)
_COMMON_KEYS = ("id", "next", "name")
# A key of the step itself (not of its action) -> the kinds it belongs to.
_STEP_KEY_OWNERS: dict[str, tuple[str, ...]] = {}
for _kind in STEP_KINDS.values():
    for _key in _kind.STEP_KEYS:
        _STEP_KEY_OWNERS[_key] = (*_STEP_KEY_OWNERS.get(_key, ()), _kind.ACTION)


def read_step(reader: NodeReader, node: Any, index: int, line: int) -> Step | None:
    """Step `index` of the file (at `line`), or None with its problems reported."""
    where = f"steps[{index}]"
    if not isinstance(node, Mapping):
        reader.error(line, f"{where}: expected a mapping with an id and one action")
        return None
    step_id = reader.text(node, "id", where)
    if step_id is not None:
        where = f"step '{step_id}'"
        if not ID_PATTERN.fullmatch(step_id):
            reader.error(
                reader.line_of(node, "id"), f"{where}: id must use only a-z, 0-9, '_' and '-'"
            )
    actions = [key for key in node if key in STEP_KINDS]
    known = (*_COMMON_KEYS, *_STEP_KEY_OWNERS)
    unknown = [key for key in node if key not in STEP_KINDS and key not in known]
    for key in unknown:
        close = difflib.get_close_matches(str(key), [*ACTIONS, *known], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (actions: {', '.join(ACTIONS)})"
        reader.error(reader.line_of(node, key), f"{where}: unknown key '{key}'{hint}")
    if len(actions) != 1:
        if actions or not unknown:  # a misspelt action is already reported
            found = ", ".join(actions) if actions else "none"
            at = reader.line_of(node, actions[1], line) if len(actions) > 1 else line
            reader.error(at, f"{where}: needs exactly one action, found {found}")
        return None
    kind = STEP_KINDS[actions[0]]
    next_step = reader.text(node, "next", where, required=False)
    if step_id is None:
        return None
    if next_step is not None:
        reader.note_target(step_id, "next", next_step, reader.line_of(node, "next", line))
    for key, owners in _STEP_KEY_OWNERS.items():
        if key in node and kind.ACTION not in owners:
            reader.error(
                reader.line_of(node, key), f"{where}: '{key}' belongs to {_steps_named(owners)}"
            )
    source = StepSource(node, node[kind.ACTION], reader.line_of(node, kind.ACTION), where)
    return kind.read(reader, source, {"id": step_id, "next": next_step, "line": line})


def _steps_named(actions: tuple[str, ...]) -> str:
    """`wait_for steps`, `send_email and send_sms steps`."""
    return " and ".join(actions) + " steps"
