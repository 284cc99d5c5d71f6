"""What MCP needs beyond plain HTTP: servers over stdio (:mod:`.stdio`), JSON-RPC ids given
back as the live request chose them (:mod:`.jsonrpc`), and event streams a replay holds open
and releases in step with the code (:mod:`.held_stream`).
"""
