"""Reading and validating input: files, SQL, engines, dates, column checks, privacy masking.

The lowest layer: it imports nothing else of the package (see docs/architecture.md).
"""
