"""MCP toolsets: servers started through the official MCP SDK (``pip install
"pytest-agentcassette[mcp]"``), their tools offered to the model as agentcore tools.

``servers``: a team's servers and their timeouts, stopped with the team. ``connection``:
one server, talked to from synchronous code; its SDK client (``client``) runs in an event
loop of its own, on a thread started in the context of the code that first needs the
tools, so that a cassette that code entered is in charge of the server's HTTP traffic.
``params``: how a server is started (the command line, its environment, the URL and
headers); ``gateway``: ``ref: docker:NAME`` through the Docker MCP gateway; ``expand``:
cagent's ``$VAR`` and ``${env.VAR}`` expansions; ``toolset``: the agentcore toolset.

The SDK is imported only when a server starts: ``import agentcore`` never imports it.
"""
