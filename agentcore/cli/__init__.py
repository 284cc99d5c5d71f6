"""The ``agentcore`` command line: ``run`` and ``exec``, with ``--record`` and ``--fake``.

``main(argv)`` runs it in-process and returns the exit status; the ``agentcore`` console
script and ``python -m agentcore`` call it.
"""

from agentcore.cli.command import main
from agentcore.cli.console import Console

__all__ = ["Console", "main"]
