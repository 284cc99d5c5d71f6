"""cagent's built-in toolsets, one module each (``filesystem``, ``shell``, ``script``,
``think``, ``todo``, ``memory``, ``fetch``, ``api``, ``user_prompt``, ``model_picker``);
:func:`agentcore.tools.build_toolset` builds them from an agent file's ``toolsets:``.
"""
