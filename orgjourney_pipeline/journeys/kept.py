"""Compiled relations kept for every window: built, fused and rendered once, bound per window.

From one window to the next, a catalog's relations differ only in a few values: the window
end, the local dates of it in the journeys' zones, the load sequence, and instants or dates
a fixed span from them (`sqlexpr.WindowValue`), and in what the entry kinds read of the
window (`window_shape`: whether a recurring entry fires, which anniversaries fall in it).
Compiled with a token where each of those values goes, the relations are rendered as text
once; a window replaces each token by its own literal, built by the same builders from the
same arithmetic, so the text is what a compile for that window would have rendered.

Example:
    >>> from datetime import datetime
    >>> from sqlglot import exp
    >>> from sqlglot.dialects.dialect import Dialect
    >>> from orgjourney_pipeline.journeys.sqlexpr import WindowValue, timestamp
    >>> end = timestamp(WindowValue("window_end"))
    >>> query = exp.select("e.id").from_("e").where(exp.column("due", "e") < end)
    >>> kept = keep({"due": query}, Dialect.get_or_raise("duckdb"))
    >>> kept.texts["due"][:39]
    'SELECT e.id FROM e WHERE e.due < $oj_wi'
    >>> print(kept.bind(datetime(2026, 1, 5, 10), load_seq=3)["due"])
    SELECT e.id FROM e WHERE e.due < CAST('2026-01-05 10:00:00' AS TIMESTAMP)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from orgjourney_pipeline.journeys.sqlexpr import WINDOW_TOKEN_PREFIX, window_literal

# A token as the dialects render a placeholder: `$name` (DuckDB) or `:name` (Spark).
_TOKEN = re.compile(r"[$:](" + WINDOW_TOKEN_PREFIX + r"[0-9a-f]{16})")


@dataclass(frozen=True)
class KeptRelations:
    """Relations as SQL text of one dialect, with the tokens of their window values."""

    dialect: Dialect
    texts: Mapping[str, str]
    tokens: frozenset[str]

    def bind(self, window_end: datetime, load_seq: int) -> dict[str, str]:
        """The relations of the window ending at `window_end` with `load_seq` loaded."""
        literals = {
            name: self.dialect.generate(window_literal(name, window_end, load_seq))
            for name in self.tokens
        }
        return {
            name: _TOKEN.sub(lambda match: literals[match.group(1)], text)
            for name, text in self.texts.items()
        }


def keep(relations: Mapping[str, exp.Query], dialect: Dialect) -> KeptRelations | None:
    """The relations rendered once (their trees are not used again), or None where a token's
    text also occurs where no token is (a literal a journey wrote), which the text cannot tell
    apart: those relations are compiled for each window instead."""
    texts: dict[str, str] = {}
    tokens: set[str] = set()
    for name, query in relations.items():
        placed = [
            node.name
            for node in query.find_all(exp.Placeholder)
            if node.name.startswith(WINDOW_TOKEN_PREFIX)
        ]
        text = dialect.generate(query, copy=False)
        if len(_TOKEN.findall(text)) != len(placed):
            return None
        texts[name] = text
        tokens.update(placed)
    return KeptRelations(dialect, texts, frozenset(tokens))
