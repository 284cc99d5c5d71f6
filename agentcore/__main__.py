"""``python -m agentcore``: the ``agentcore`` command line."""

import sys

from agentcore.cli import main

sys.exit(main())
