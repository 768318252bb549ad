"""orgjourney: organization journeys, evaluated in the warehouse."""

__version__ = "0.1.0"
