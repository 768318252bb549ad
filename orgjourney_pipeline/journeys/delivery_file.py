"""Reading `delivery.yaml`, the journeys folder's rules across journeys (SPEC section 3).

It is validated like a journey file: every problem is a `file:line: message`, with a
did-you-mean for a near miss; a file with an error gives no rules.

Example:
    >>> rules, problems = parse_delivery_text("caps:\\n  - {channel: email, max: 3, per: wek}\\n", "d.yaml")
    >>> [str(p) for p in problems]
    ["d.yaml:2: caps[0].per: 'wek' is not one of: day, week (did you mean 'week'?)"]
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from orgjourney_pipeline.journeys.delivery import (
    CHANNELS,
    DELIVERY_FILES,
    DELIVERY_KEYS,
    PERIODS,
    Cap,
    DeliveryRules,
    read_percent,
)
from orgjourney_pipeline.journeys.problems import Problem, describe, near
from orgjourney_pipeline.journeys.reader import NodeReader
from orgjourney_pipeline.journeys.yamlfile import read_yaml


def delivery_file(folder: Path) -> Path | None:
    """The journeys folder's `delivery.yaml` (or `.yml`), if it has one."""
    for name in DELIVERY_FILES:
        path = Path(folder) / name
        if path.is_file():
            return path
    return None


def load_delivery(folder: Path) -> tuple[DeliveryRules, list[Problem]]:
    """The delivery rules of a journeys folder, and the problems of its file."""
    path = delivery_file(folder) if Path(folder).is_dir() else None
    if path is None:
        return DeliveryRules(), []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return DeliveryRules(), [Problem(str(path), 1, f"cannot read the file: {error}")]
    return parse_delivery_text(text, str(path))


def parse_delivery_text(text: str, source: str) -> tuple[DeliveryRules, list[Problem]]:
    """Read the text of a `delivery.yaml`; with an error, the rules are the empty ones."""
    parsed = read_yaml(text)
    if parsed.syntax_error is not None:
        return DeliveryRules(), [Problem(source, *parsed.syntax_error)]
    reader = NodeReader(source)
    if parsed.alias_problem is not None:
        reader.error(*parsed.alias_problem)
        return DeliveryRules(), reader.problems
    document = parsed.document if parsed.document is not None else {}
    if not isinstance(document, Mapping):
        reader.error(1, f"delivery.yaml holds a mapping, got {describe(document)}")
        return DeliveryRules(), reader.problems
    reader.known_keys(document, DELIVERY_KEYS, "delivery")
    caps = _read_caps(reader, document)
    timezone = reader.timezone(document, "delivery")
    holdout = None
    if document.get("global_holdout") is not None:
        holdout = read_percent(reader, document, "global_holdout")
    if reader.failed:
        return DeliveryRules(source=source), reader.problems
    return DeliveryRules(caps, timezone, holdout, source), reader.problems


def _read_caps(reader: NodeReader, document: Mapping) -> tuple[Cap, ...]:
    nodes = document.get("caps")
    if nodes is None:
        return ()
    if not isinstance(nodes, list):
        reader.error(reader.line_of(document, "caps"), "caps: expected a list of caps")
        return ()
    caps: list[Cap] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(nodes):
        where = f"caps[{index}]"
        line = reader.line_of(nodes, index, reader.line_of(document, "caps"))
        node = reader.mapping(item, where, line)
        if node is None:
            continue
        reader.known_keys(node, ("channel", "max", "per"), where)
        values = {}
        for key, options in (("channel", CHANNELS), ("per", PERIODS)):
            value = node.get(key)
            if value is None:
                reader.error(line, f"{where}: '{key}' is required (one of: {', '.join(options)})")
            elif value not in options:
                reader.error(
                    reader.line_of(node, key, line),
                    f"{where}.{key}: '{value}' is not one of: {', '.join(options)}"
                    + near(str(value), options),
                )
            else:
                values[key] = value
        maximum = reader.number(node, "max", where, integer=True)
        if "max" not in node:
            reader.error(line, f"{where}: 'max' is required (a whole number)")
        if len(values) < 2 or maximum is None:
            continue
        key = (values["channel"], values["per"])
        if key in seen:
            reader.error(
                line, f"{where}: a cap of {key[0]} per {key[1]} is already at line {seen[key]}"
            )
            continue
        seen[key] = line
        caps.append(Cap(values["channel"], int(maximum), values["per"]))
    return tuple(caps)
