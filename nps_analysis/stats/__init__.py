"""Statistics on counts or rows: scoring, intervals, comparisons, CUPED, power, sequential.

Numbers only: no file I/O, no display. Imports only from ``sources`` (docs/architecture.md).
"""
