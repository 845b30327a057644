"""chiso: monitoring a nation's digital transformation."""

__version__ = "0.1.0"
