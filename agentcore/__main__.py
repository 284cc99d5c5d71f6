"""``python -m agentcore``: the ``agentcore`` command line."""

import sys

from .cli import main

sys.exit(main())
