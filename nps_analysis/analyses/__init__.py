"""The jobs analysts run, built from ``stats``: experiment, decision, gap, follow-up, tracking.

Imports ``stats`` and ``sources`` only (docs/architecture.md).
"""
