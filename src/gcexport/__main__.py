"""`python -m gcexport` runs the command line."""

from __future__ import annotations

import sys

from gcexport.entry import main

sys.exit(main())
