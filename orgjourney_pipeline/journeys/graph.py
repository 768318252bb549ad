"""The step graph of a journey: where each step goes, unknown targets, loops, reachability.

Steps run in list order; `next: <id>` or `next: end` overrides. A step's targets are what
its kind says (`Step.targets`, given where it goes by default) and, if the kind has no `next`
of its own, its `next`. This is the one place that knows "the next step by default".

Example:
    >>> from orgjourney_pipeline.journeys.steps import Delay, ExitStep
    >>> steps = [Delay(id="wait", days=1), ExitStep(id="done")]
    >>> default_next(steps[0], ["wait", "done"]), default_next(steps[1], ["wait", "done"])
    ('done', 'end')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orgjourney_pipeline.journeys.steps import Step

END = "end"


def default_next(step: Step, order: Sequence[str]) -> str:
    """Where a step goes by default: its `next`, else the next step in the list, else end."""
    if step.next:
        return step.next
    index = order.index(step.id)
    return order[index + 1] if index + 1 < len(order) else END


def step_targets(step: Step, order: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """Where a step can go: (label, step id or 'end').

    Without `order`, only the targets written in the step; with the step order, also where
    it falls through to (the next step in the list, or the end).
    """
    default = default_next(step, order) if order is not None else step.next
    targets = step.targets(default)
    if step.next and not any(label == "next" for label, _ in targets):
        targets.append(("next", step.next))
    return [(label, target) for label, target in targets if target]


def unknown_targets(steps: Sequence[Step]) -> list[tuple[Step, str, str]]:
    """(step, label, target) for each target naming no step of the journey."""
    ids = {step.id for step in steps}
    return [
        (step, label, target)
        for step in steps
        for label, target in step_targets(step)
        if target != END and target not in ids
    ]


def waitless_loop(steps: Sequence[Step]) -> list[str] | None:
    """A cycle of steps none of which waits (it would run forever within one run), or None."""
    order = [step.id for step in steps]
    graph = {
        step.id: [target for _, target in step_targets(step, order) if target != END]
        for step in steps
        if not step.WAITS
    }
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in order:
        if start not in graph or start in state:
            continue
        path, stack = [start], [iter(graph[start])]
        state[start] = 1
        while stack:
            target = next(stack[-1], None)
            if target is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if target not in graph:
                continue
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                state[target] = 1
                path.append(target)
                stack.append(iter(graph[target]))
    return None


def unreachable(steps: Sequence[Step]) -> list[Step]:
    """The steps no path from the first step leads to (they never run)."""
    if not steps:
        return []
    order = [step.id for step in steps]
    by_id = {step.id: step for step in steps}
    seen, todo = {order[0]}, [order[0]]
    while todo:
        for _, target in step_targets(by_id[todo.pop()], order):
            if target in by_id and target not in seen:
                seen.add(target)
                todo.append(target)
    return [step for step in steps if step.id not in seen]
