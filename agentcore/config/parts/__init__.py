"""The parts of an agent file that read themselves, one module each: ``commands``,
``permissions``, ``hooks``, ``rag``, ``script`` (and ``post_edit``), ``api``, ``structured``
(output), ``thinking`` (budget), ``fallback`` and ``provider_opts``; the loader
(:mod:`agentcore.config.loader`) calls them with the nodes and their places.
"""
