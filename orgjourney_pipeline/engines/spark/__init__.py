"""The Spark engine (SPEC section 7): the same SQL, carried by sqlglot, on Apache Spark.

`session` configures Spark, `transpile` carries DuckDB SQL to Spark's with the rewrites Spark
needs, `storage` lays out the Parquet tables and their commit markers, `engine` implements
the `Engine` protocol, `mirror` reads the committed tables with DuckDB.
"""
