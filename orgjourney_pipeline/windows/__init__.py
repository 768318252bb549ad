"""Hourly windows (SPEC section 2): which to run (`plan`), their SQL steps (`steps`), what
they need from the journeys (`journeys`), and running them one transaction each (`run`)."""
