"""WebSocket connections of the ``websockets`` clients: patched (:mod:`.client`), recorded
as they happen (:mod:`.tape`), replayed by a server end that answers from the cassette
(:mod:`.peer`, and :mod:`.bridge` for the sync client).
"""
