"""Reading a journey file's YAML: YAML 1.2, positions kept, alias bombs refused unexpanded.

`on`, `yes` and `no` are plain words (YAML 1.2). The document keeps ruamel's round-trip
nodes, so every key and item knows its line.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

from orgjourney_pipeline.journeys.model import MAX_ALIAS_VALUES

# Lists and mappings inside each other: a journey's own structure takes about eight levels,
# a filter two per level of `all`/`any` and one per `not` (at most 16 levels of those).
MAX_YAML_DEPTH = 64


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file: its document, or the line and message of why it is not valid YAML."""

    document: Any = None
    syntax_error: tuple[int, str] | None = None
    # The first alias that repeats too much or contains itself: reading the document would
    # expand it, so it is reported (once the journey's id is known) instead of read.
    alias_problem: tuple[int, str] | None = None


def read_yaml(text: str) -> YamlDocument:
    """Parse the text of one journey file."""
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.Composer = _DepthLimitedComposer
    try:
        document = yaml.load(io.StringIO(text))
    except _TooDeep as too_deep:
        return YamlDocument(syntax_error=(too_deep.line, too_deep.message))
    except MarkedYAMLError as error:
        return YamlDocument(syntax_error=syntax_error(error, text))
    except Exception as error:  # ruamel raises several unmarked errors on odd input
        return YamlDocument(syntax_error=(1, f"not valid YAML: {error}"))
    return YamlDocument(document, alias_problem=_alias_problem(yaml, text))


def syntax_error(error: MarkedYAMLError, text: str) -> tuple[int, str]:
    """The line of a YAML syntax error and its message in plain words, with the line quoted
    and a caret under the place (a tab shown as `→`, one column like the others).

    An unclosed bracket or quote is reported where it opened; anything else where the
    parser stopped. A problem without a plain explanation keeps the parser's words.
    """
    problem, context = str(error.problem or error), str(error.context or "")
    mark = error.problem_mark or error.context_mark
    explanation = problem
    if "'\\t'" in problem or "\t" in problem:
        explanation = "a tab here: YAML indents with spaces, never tabs"
    elif "cannot start any token" in problem:
        character = problem.split("'")[1] if problem.count("'") >= 2 else "this character"
        explanation = f"a value cannot start with '{character}': put the value in quotes"
    elif context.startswith(("while parsing a flow", "while scanning a quoted")):
        bracket = {"sequence": "'['", "mapping": "'{'"}.get(context.split()[-1], "quote")
        explanation = f"the {bracket} opened here is never closed"
        if "flow" in context:
            explanation += " (or a ',' is missing between its items)"
        mark = error.context_mark or mark
    elif "expected <block end>" in problem:
        explanation = (
            "this line is indented differently from the lines above it at its level"
            " (indentation is the structure in YAML)"
        )
    elif "mapping values are not allowed" in problem:
        explanation = (
            "a ': ' inside a value: put the value in quotes, or check this line's indentation"
        )
    elif "could not find expected ':'" in problem:
        explanation = "a key without its ':' (or a line indented as if it continued one)"
    line = mark.line + 1 if mark else 1
    return line, f"not valid YAML: {explanation}{_excerpt(text, mark)}"


def _excerpt(text: str, mark) -> str:
    """The line of `mark` and a caret under its column, indented below the message."""
    lines = text.splitlines()
    if mark is None or mark.line >= len(lines):
        return ""
    shown = lines[mark.line].replace("\t", "→")
    return f"\n    {shown}\n    {' ' * min(mark.column, len(shown))}^"


class _TooDeep(Exception):
    """Lists and mappings nest deeper than a journey file may, from this line on."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line
        self.message = (
            f"lists and mappings nest more than {MAX_YAML_DEPTH} levels deep here; "
            "a journey file nests far less (a filter at most 16 levels)"
        )


class _DepthLimitedComposer(Composer):
    """ruamel's composer, refusing lists and mappings nested deeper than `MAX_YAML_DEPTH`.

    Composing is recursive (a file nested thousands deep would exhaust Python's stack),
    while the parser under it is not: each list or mapping is counted as it starts, so the
    document is read in one pass and the recursion never goes past the limit.
    """

    collections = 0

    def compose_sequence_node(self, anchor: Any) -> Any:
        return self._nested(super().compose_sequence_node, anchor)

    def compose_mapping_node(self, anchor: Any) -> Any:
        return self._nested(super().compose_mapping_node, anchor)

    def _nested(self, compose: Any, anchor: Any) -> Any:
        self.collections += 1
        if self.collections > MAX_YAML_DEPTH:
            raise _TooDeep(self.parser.peek_event().start_mark.line + 1)
        try:
            return compose(anchor)
        finally:
            self.collections -= 1


def _alias_problem(yaml: YAML, text: str) -> tuple[int, str] | None:
    """The first alias that repeats too much or contains itself, as (line, message); or None.

    The document that ruamel loads shares an anchored value among its aliases, but reading it
    expands them. So the parser's events are counted instead, expanding nothing: each anchor's
    size (as if its own aliases were expanded) is known when it closes, and each alias adds
    its anchor's size to what the file repeats.
    """
    if "*" not in text:
        return None  # no alias (every alias starts with '*'): nothing to count
    sizes: dict[str, int | None] = {}  # anchor -> expanded size; None while it is open
    open_nodes: list[list[Any]] = []  # [anchor, size so far] of each list or mapping being read
    repeated = 0
    for event in yaml.parse(io.StringIO(text)):
        if isinstance(event, AliasEvent):
            line, anchor = event.start_mark.line + 1, event.anchor
            if anchor in sizes and sizes[anchor] is None:
                return line, f"alias '*{anchor}': refers to a value that contains it"
            size = sizes.get(anchor) or 1
            repeated += size
            if repeated > MAX_ALIAS_VALUES:
                return line, (
                    f"alias '*{anchor}': the aliases up to here repeat {repeated} values, "
                    f"more than the {MAX_ALIAS_VALUES} a journey file may repeat"
                )
        elif isinstance(event, ScalarEvent):
            size = 1
            if event.anchor is not None:
                sizes[event.anchor] = size
        elif isinstance(event, CollectionStartEvent):
            if event.anchor is not None:
                sizes[event.anchor] = None
            open_nodes.append([event.anchor, 1])
            continue
        elif isinstance(event, CollectionEndEvent):
            anchor, size = open_nodes.pop()
            if anchor is not None and sizes.get(anchor) is None:
                sizes[anchor] = size
        else:
            continue
        if open_nodes:
            open_nodes[-1][1] += size
    return None
