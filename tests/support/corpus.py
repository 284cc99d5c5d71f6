"""Where the shared cagent corpus is: ``../shared`` next to the repository, or
``$AGENTCASSETTE_SHARED``."""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(os.environ.get("AGENTCASSETTE_SHARED", Path(__file__).parents[2].parent / "shared"))
CAGENT_CORPUS = SHARED / "corpus" / "cagent-e2e"
