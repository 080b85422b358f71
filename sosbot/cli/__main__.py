from __future__ import annotations

import sys

from sosbot.cli import main

sys.exit(main())
