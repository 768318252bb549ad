"""The funnel of a journey version drawn as its step graph, with a count on every edge.

The graph is the journey's own (`journeys.graph.step_targets`): the entry leads to the first
step, each step to its targets, branches side by side rather than one under another. An edge
is labelled with how many times enrollments went along it (`EdgeCount`: consecutive steps
reached by one enrollment); a node with what reached the step (`journey_funnel`) and the
enrollments waiting or exited there (`Whereabouts`), so the counts of a node add up: what
came in went out along an edge, waits there, or exited there.

Layout: nodes in layers from the top, each node below every step that leads to it (the
longest path from the entry, loops left out), the end at the bottom; within a layer, each
node near the mean of its predecessors. An edge to the next layer is a curve down; one that
skips layers, stays in its layer or goes back runs around the side when a node is in the way.

Example:
    >>> found = layers({"(entry)": ["a"], "a": ["b", "c"], "b": ["c", "a"], "c": []}, "(entry)")
    >>> sorted(found.items())  # b -> a closes a loop; c is below b, which leads to it too
    [('(entry)', 0), ('a', 1), ('b', 2), ('c', 3)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orgjourney_pipeline.journeys.graph import END, step_targets
from orgjourney_pipeline.reports.queries import EdgeCount, FunnelStep, JourneyVersion, Whereabouts
from orgjourney_pipeline.reports.svg import MUTED, Canvas

ENTRY = "(entry)"  # the node enrollments enter from (no step id has parentheses)
NODE_WIDTH, LINE_HEIGHT, H_GAP, V_GAP, SIDE = 220, 16, 46, 70, 90
FILLS = {"entry": "#e8eef7", "end": "#eeeeee", "send": "#e3f0e3", "wait": "#fbf3da"}
FILLS |= {"branch": "#efe6f5", "step": "#ffffff"}


@dataclass(frozen=True)
class Node:
    key: str  # a step id, ENTRY or END
    kind: str  # entry, end, send, wait, branch, step (a key of FILLS)
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    labels: tuple[str, ...]  # the step's names for it ('then', 'else', 'goto'), 'next' left out
    traversals: int


@dataclass(frozen=True)
class FunnelGraph:
    label: str  # "welcome v1"
    nodes: dict[str, Node]  # in the journey's order: the entry, the steps, the end
    edges: list[Edge]


def funnel_graph(
    version: JourneyVersion,
    steps: Sequence[FunnelStep],
    counts: Sequence[EdgeCount],
    whereabouts: Sequence[Whereabouts],
) -> FunnelGraph:
    """The graph of one journey version and what went through it (all rows of that version)."""
    journey = version.journey
    order = [step.id for step in journey.steps]
    traversed = {(count.from_step or ENTRY, count.to_step): count.traversals for count in counts}
    labels: dict[tuple[str, str], list[str]] = {(ENTRY, order[0]): []} if order else {}
    for step in journey.steps:
        for label, target in step_targets(step, order):
            names = labels.setdefault((step.id, target), [])
            if label != "next" and label not in names:
                names.append(label)
    for pair in traversed:  # gone along, and not in the definition: still drawn and counted
        labels.setdefault(pair, [])
    edges = [Edge(s, t, tuple(names), traversed.get((s, t), 0)) for (s, t), names in labels.items()]
    nodes = _nodes(version, steps, whereabouts, edges)
    return FunnelGraph(f"{journey.id} v{journey.version}", nodes, edges)


def _nodes(version, steps, whereabouts, edges) -> dict[str, Node]:
    funnel = {step.step_id: step for step in steps}
    waiting: dict[str | None, int] = {}
    exited: dict[str | None, list[str]] = {}
    for row in whereabouts:
        if row.status == "active":
            waiting[row.step_id] = waiting.get(row.step_id, 0) + row.enrollments
        elif row.end_reason != "holdout":
            exited.setdefault(row.step_id, []).append(f"{row.enrollments} {row.end_reason}")
    holdout = sum(r.enrollments for r in whereabouts if r.end_reason == "holdout")
    entered = sum(edge.traversals for edge in edges if edge.source == ENTRY) + holdout
    entry_lines = [f"{entered} entered"] + ([f"{holdout} in the holdout"] if holdout else [])
    nodes = {ENTRY: Node(ENTRY, "entry", "entry", tuple(entry_lines))}
    for position, step in enumerate(version.journey.steps, start=1):
        row = funnel.get(step.id)
        done = [f"{row.reached if row else 0} reached"]
        if row and (row.sent or row.suppressed):
            done.append(f"{row.sent} sent, {row.suppressed} suppressed")
        if row and row.converted:
            done.append(f"{row.converted} converted after it")
        if waiting.get(step.id):
            done.append(f"{waiting[step.id]} waiting here")
        if exited.get(step.id):
            done.append("exited here: " + ", ".join(exited[step.id]))
        title = f"{position}. {step.id} ({step.ACTION})"
        nodes[step.id] = Node(step.id, _kind(step), title, tuple(done))
    completed = sum(edge.traversals for edge in edges if edge.target == END)
    nodes[END] = Node(END, "end", "end", (f"{completed} completed",))
    for edge in edges:  # a step no longer in the definition (not expected; shown, not lost)
        for key in (edge.source, edge.target):
            nodes.setdefault(key, Node(key, "step", key, ()))
    return nodes


def _kind(step) -> str:
    if step.CHANNEL is not None:
        return "send"
    if step.WAITS:
        return "wait"
    return "branch" if step.CHOOSES_BRANCH else "step"


def layers(successors: Mapping[str, Sequence[str]], root: str) -> dict[str, int]:
    """Each node's layer: the longest path to it from `root` along edges that do not close a
    loop (found depth first, in the order given); a node not reached from `root` starts a
    layer of its own below it."""
    back: set[tuple[str, str]] = set()
    finished: list[str] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done
    for start in [root, *successors]:
        if start in state:
            continue
        state[start], path = 1, [(start, iter(successors.get(start, ())))]
        while path:
            node, targets = path[-1]
            target = next(targets, None)
            if target is None:
                state[node] = 2
                finished.append(node)
                path.pop()
            elif state.get(target) == 1:
                back.add((node, target))
            elif target not in state:
                state[target] = 1
                path.append((target, iter(successors.get(target, ()))))
    layer = {node: (0 if node == root else 1) for node in finished}
    for node in reversed(finished):  # a topological order of the edges kept
        for target in successors.get(node, ()):
            if (node, target) not in back:
                layer[target] = max(layer[target], layer[node] + 1)
    return layer


@dataclass(frozen=True)
class _Box:
    x: float  # centre
    y: float  # top
    height: float


def _place(graph: FunnelGraph) -> tuple[dict[str, _Box], float, float]:
    """Each node's box, and the drawing's width and height."""
    successors: dict[str, list[str]] = {key: [] for key in graph.nodes}
    for edge in graph.edges:
        successors[edge.source].append(edge.target)
    layer = layers(successors, ENTRY)
    bottom = max((n for key, n in layer.items() if key != END), default=0) + 1
    layer[END] = max(layer.get(END, 0), bottom)
    rows: list[list[str]] = [[] for _ in range(layer[END] + 1)]
    for key in graph.nodes:
        rows[layer[key]].append(key)
    widest = max(len(row) for row in rows)
    pitch = NODE_WIDTH + H_GAP
    height = LINE_HEIGHT * (1 + max(len(node.lines) for node in graph.nodes.values())) + 16
    slot: dict[str, float] = {}
    order = list(graph.nodes)

    def centre(key: str) -> tuple[float, int]:
        """Near the mean of the node's predecessors placed so far, else the middle."""
        before = [slot[e.source] for e in graph.edges if e.target == key and e.source in slot]
        return (sum(before) / len(before) if before else widest / 2, order.index(key))

    for row in rows:
        row.sort(key=centre)
        for i, key in enumerate(row):
            slot[key] = (widest - len(row)) / 2 + i + 0.5
    boxes = {
        key: _Box(SIDE + slot[key] * pitch, 12 + layer[key] * (height + V_GAP), height)
        for key in graph.nodes
    }
    return boxes, 2 * SIDE + widest * pitch - H_GAP, 12 + len(rows) * (height + V_GAP) - V_GAP + 12


def funnel_svg(graph: FunnelGraph) -> str:
    """The graph as an SVG: a box per node, an arrow per edge, and on each its count (the
    edge's marks say `data-from` (empty: the entry), `data-to` and `data-count`)."""
    boxes, width, height = _place(graph)
    canvas = Canvas(width, height, f"funnel of {graph.label}")
    most = max((edge.traversals for edge in graph.edges), default=0) or 1
    labels = []
    for number, edge in enumerate(graph.edges):
        d, (x, y) = _route(boxes[edge.source], boxes[edge.target], boxes, number)
        ends = {"from": "" if edge.source == ENTRY else edge.source, "to": edge.target}
        canvas.path(
            d,
            stroke="#4c72b0" if edge.traversals else "#bbbbbb",
            width=1.5 + 4.5 * edge.traversals / most,
            arrow=True,
            mark={**ends, "count": edge.traversals},
            tip=f"{edge.source} → {edge.target}: {edge.traversals}",
        )
        labels.append((x, y, " ".join([str(edge.traversals), *edge.labels]), ends))
    for key, node in graph.nodes.items():
        box = boxes[key]
        shape = (box.x - NODE_WIDTH / 2, box.y, NODE_WIDTH, box.height)
        canvas.rect(*shape, fill=FILLS[node.kind], stroke="#888", rx=6, mark={"node": key})
        canvas.text(box.x, box.y + 18, node.title, anchor="middle", size=12, weight="bold")
        for i, line in enumerate(node.lines):
            canvas.text(box.x, box.y + 18 + LINE_HEIGHT * (i + 1), line, anchor="middle", size=11)
    for x, y, text, ends in labels:  # last, so no node or edge hides a count
        canvas.rect(x - 4 - 3.4 * len(text), y - 10, 8 + 6.8 * len(text), 15, fill="#fff", rx=3)
        canvas.text(
            x, y + 1.5, text, anchor="middle", size=11, weight="bold", fill=MUTED, data=ends
        )
    return canvas.render()


def _route(source: _Box, target: _Box, boxes, number: int) -> tuple[str, tuple[float, float]]:
    """An edge's path and where its label goes (the middle of the curve)."""
    x0, y0 = source.x, source.y + source.height
    x3, y3 = target.x, target.y
    if y3 > y0 and not _blocked(source, target, boxes):
        bend = (y3 - y0) / 2
        points = [(x0, y0), (x0, y0 + bend), (x3, y3 - bend), (x3, y3)]
    else:  # around the side: the left for what goes down, the right for what goes back
        sign = -1 if y3 > y0 else 1
        reach = NODE_WIDTH / 2 + 30 + 12 * (number % 4)
        out = max(source.x, target.x) + reach if sign > 0 else min(source.x, target.x) - reach
        x0, y0 = source.x + sign * NODE_WIDTH / 2, source.y + source.height / 2
        x3, y3 = target.x + sign * NODE_WIDTH / 2, target.y + target.height / 2
        points = [(x0, y0), (out, y0), (out, y3), (x3, y3)]
    (ax, ay), (bx, by), (cx, cy), (ex, ey) = points
    middle = ((ax + 3 * bx + 3 * cx + ex) / 8, (ay + 3 * by + 3 * cy + ey) / 8)
    d = f"M{ax:.1f},{ay:.1f} C{bx:.1f},{by:.1f} {cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}"
    return d, middle


def _blocked(source: _Box, target: _Box, boxes) -> bool:
    """Whether a node lies between two boxes (below the one, above the other, across the
    band a curve between them sweeps)."""
    low, high = min(source.x, target.x) - NODE_WIDTH / 2, max(source.x, target.x) + NODE_WIDTH / 2
    return any(
        box is not source
        and box is not target
        and box.y >= source.y + source.height
        and box.y + box.height <= target.y
        and box.x + NODE_WIDTH / 2 > low
        and box.x - NODE_WIDTH / 2 < high
        for box in boxes.values()
    )
