"""A Spark session for orgjourney: the warehouse directory, the configuration, Java.

Spark is configured the usual ways (SPEC section 7): `spark-defaults.conf` (Spark reads it
itself), `ORGJOURNEY_SPARK_CONF` (`KEY=VALUE` pairs separated by whitespace or commas), and
`--spark-conf KEY=VALUE` (repeated), later ones winning; `SPARK_REMOTE` makes it a Spark
Connect session. The default master is `local[*]`. The settings below are the ones the
contract needs whatever the user sets: instants are naive UTC timestamps, ANSI SQL (a cast
that fails raises instead of giving NULL), and nothing fetched from the network.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

# What every orgjourney session needs, and may not be overridden.
REQUIRED_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.catalogImplementation": "in-memory",
}
# Defaults suited to one machine; any of them may be overridden.
DEFAULT_CONF = {
    "spark.master": "local[*]",
    "spark.app.name": "orgjourney",
    "spark.ui.enabled": "false",
    "spark.log.level": "ERROR",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.memory": "2g",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


class JavaMissing(RuntimeError):
    """No Java runtime for Spark: neither JAVA_HOME nor `java` on PATH."""


def parse_conf(pairs: Iterable[str], source: str = "--spark-conf") -> dict[str, str]:
    """`KEY=VALUE` texts as a mapping; a text without `=` is an error naming `source`."""
    conf = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{source}: {pair!r} is not KEY=VALUE")
        conf[key.strip()] = value.strip()
    return conf


def environment_conf(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The pairs of `ORGJOURNEY_SPARK_CONF` (separated by whitespace or commas)."""
    text = (os.environ if env is None else env).get("ORGJOURNEY_SPARK_CONF", "")
    return parse_conf(
        [part for part in text.replace(",", " ").split() if part], "ORGJOURNEY_SPARK_CONF"
    )


def session_conf(warehouse_dir: Path, overrides: Mapping[str, str] = ()) -> dict[str, str]:
    """The whole configuration of a session over `warehouse_dir`."""
    conf = dict(DEFAULT_CONF)
    conf["spark.sql.warehouse.dir"] = str(Path(warehouse_dir).resolve())
    conf.update(environment_conf())
    conf.update(dict(overrides))
    conf.update(REQUIRED_CONF)
    return conf


def ensure_java() -> str:
    """The Java home Spark will use; raises `JavaMissing` with what to do."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return home
    java = shutil.which("java")
    if java:
        return str(Path(java).resolve().parents[1])
    raise JavaMissing(
        "Spark needs Java 17 or later: set JAVA_HOME or put `java` on PATH "
        "(e.g. `apt-get install openjdk-17-jre-headless`)"
    )


def start_session(warehouse_dir: Path, overrides: Mapping[str, str] = ()):
    """A SparkSession (made or reused) with orgjourney's configuration."""
    from pyspark.sql import SparkSession

    if not os.environ.get("SPARK_REMOTE"):
        os.environ.setdefault("JAVA_HOME", ensure_java())
    Path(warehouse_dir).mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder
    for key, value in session_conf(warehouse_dir, overrides).items():
        if os.environ.get("SPARK_REMOTE") and not key.startswith("spark.sql."):
            continue  # a Connect server has its own cluster settings
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    _quiet_query_errors()
    return session


def _quiet_query_errors() -> None:
    """PySpark logs every failing statement's stack as JSON; the engine raises it instead
    (a journey whose SQL fails is stopped and named, as on DuckDB)."""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True
