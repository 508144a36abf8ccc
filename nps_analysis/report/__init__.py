"""What people see: notebook runner, run records, HTML reports, index, tables and charts.

Imports ``analyses``, ``stats`` and ``sources``; never ``cli`` (docs/architecture.md).
"""
