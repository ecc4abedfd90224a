"""`python -m gcexport` runs the command line."""

from __future__ import annotations

import sys

from gcexport.cli import main

sys.exit(main())
