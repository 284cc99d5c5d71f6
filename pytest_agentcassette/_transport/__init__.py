"""Where traffic is caught: the client libraries patched, each once it is imported
(:mod:`.clients`, :mod:`.import_hook`), the cassettes open in the process
(:mod:`.registry`), entering and leaving them (:mod:`.interception`), what every patch asks
the cassette (:mod:`.asking`); each client's adapter (:mod:`.httpcore_mocker` for httpx
and httpx2, :mod:`.aiohttp_client`, :mod:`.urllib3_client`, :mod:`.websocket`,
:mod:`.mcp`); the recording tee (:mod:`.tee`, :mod:`.content_encoding`), replayed
responses (:mod:`.replay`), recorded faults (:mod:`.faults`) and the network guard
(:mod:`.network_guard`).
"""
