"""Paths and defaults: where the warehouse, journeys, inbox and exports live.

Nothing is read at import time: `Settings.resolve()` looks at explicit values first, then the
`ORGJOURNEY_*` environment variables, then the defaults under `data/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("data")
PACKAGE_DIR = Path(__file__).resolve().parent
ENGINES = ("duckdb", "spark")
# The warehouse: DuckDB's file, or Spark's warehouse directory (spark.sql.warehouse.dir).
DEFAULT_WAREHOUSES = {
    "duckdb": DEFAULT_DATA_DIR / "warehouse.duckdb",
    "spark": DEFAULT_DATA_DIR / "spark-warehouse",
}


@dataclass(frozen=True)
class Settings:
    """Where orgjourney reads and writes."""

    warehouse: Path
    journeys: Path
    inbox: Path
    exports: Path
    engine: str = "duckdb"  # or "spark" (SPEC section 7)
    spark_conf: tuple[tuple[str, str], ...] = ()  # --spark-conf pairs (the environment's too)

    @classmethod
    def resolve(
        cls,
        warehouse: str | Path | None = None,
        journeys: str | Path | None = None,
        inbox: str | Path | None = None,
        exports: str | Path | None = None,
        env: dict[str, str] | None = None,
        engine: str | None = None,
        spark_conf: tuple[tuple[str, str], ...] = (),
    ) -> Settings:
        """Explicit values win over ORGJOURNEY_* variables, which win over the defaults."""
        env = os.environ if env is None else env

        def pick(value: str | Path | None, var: str, default: Path) -> Path:
            chosen = value if value is not None else env.get(var) or default
            return Path(chosen)

        engine = (engine or env.get("ORGJOURNEY_ENGINE") or "duckdb").lower()
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
        warehouse_path = pick(warehouse, "ORGJOURNEY_WAREHOUSE", DEFAULT_WAREHOUSES[engine])
        return cls(
            warehouse=warehouse_path,
            journeys=pick(journeys, "ORGJOURNEY_JOURNEYS", DEFAULT_DATA_DIR / "journeys"),
            inbox=pick(inbox, "ORGJOURNEY_INBOX", DEFAULT_DATA_DIR / "inbox"),
            # Exports default to `exports/` beside the warehouse file (SPEC section 4).
            exports=pick(exports, "ORGJOURNEY_EXPORTS", warehouse_path.parent / "exports"),
            engine=engine,
            spark_conf=tuple(spark_conf),
        )


def sql_dir() -> Path:
    """The `sql/` folder: inside the installed package, or at the repository root."""
    installed = PACKAGE_DIR / "sql"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / "sql"


def demo_journeys_dir() -> Path:
    """The bundled example journeys: inside the installed package, or `data/journeys/`."""
    installed = PACKAGE_DIR / "demo_journeys"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / "data" / "journeys"
