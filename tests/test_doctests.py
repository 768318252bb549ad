"""The examples in the library's docstrings run, and say what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import orgjourney_pipeline


def _modules_with_examples() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(orgjourney_pipeline.__path__, "orgjourney_pipeline."):
        module = importlib.import_module(info.name)
        if doctest.DocTestFinder().find(module) and any(
            test.examples for test in doctest.DocTestFinder().find(module)
        ):
            names.append(info.name)
    return names


MODULES = _modules_with_examples()


def test_the_library_has_examples():
    assert "orgjourney_pipeline.sqlfiles" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    failures, tried = doctest.testmod(importlib.import_module(name))
    assert tried > 0
    assert failures == 0
