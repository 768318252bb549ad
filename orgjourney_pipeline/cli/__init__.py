"""The command line: thin — parse arguments, call the library, print what happened.

`group` holds the command group and what the commands share; each theme's commands live in a
module of their own, registered on the group when imported here.
"""

from orgjourney_pipeline.cli import benchmark, checking, demo, history, inspecting, loading, reading
from orgjourney_pipeline.cli.group import cli, main

__all__ = [
    "benchmark",
    "checking",
    "cli",
    "demo",
    "history",
    "inspecting",
    "loading",
    "main",
    "reading",
]
