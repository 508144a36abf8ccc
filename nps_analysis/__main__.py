"""``python -m nps_analysis``: the same command line as ``nps-analysis``."""

from .cli import main

raise SystemExit(main())
