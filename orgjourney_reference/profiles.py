"""Hypothesis profiles for the differential tests.

`default` (and `ci`, which Hypothesis picks when the CI variable is set) keep the whole of
`tests/test_reference.py` under two minutes on two cores; `extended` (`make differential`,
which CI runs) draws 25 new examples of each differential test; `long`
(`make differential-long`) runs 1000 examples of each of the three, 3000 in all (hours on two
cores); `chunk` draws `ORGJOURNEY_CHUNK_EXAMPLES` (default 50) new examples of each, so the
long profile can run as rounds that each finish (`make differential-chunks`).
The Hypothesis pytest plugin loads `--hypothesis-profile` before test modules are imported,
so to select `long` load this module as a plugin too:

    pytest -p orgjourney_reference.profiles --hypothesis-profile=long tests/test_reference.py
"""

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    "print_blob": True,
}

settings.register_profile("default", max_examples=6, **_COMMON)
settings.register_profile("ci", max_examples=6, derandomize=True, database=None, **_COMMON)
settings.register_profile("extended", max_examples=25, database=None, **_COMMON)
settings.register_profile("long", max_examples=1000, **_COMMON)
settings.register_profile(
    "chunk",
    max_examples=int(os.environ.get("ORGJOURNEY_CHUNK_EXAMPLES", "50")),
    database=None,
    **_COMMON,
)
