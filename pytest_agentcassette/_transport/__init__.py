"""Where traffic is caught: the cassettes open in the process (:mod:`.registry`), entering
and leaving them (:mod:`.interception`), the patched connection pools of httpx and httpx2
(:mod:`.httpcore_mocker`), the recording tee (:mod:`.tee`, :mod:`.content_encoding`),
replayed responses (:mod:`.replay`), recorded faults (:mod:`.faults`) and the network
guard (:mod:`.network_guard`).
"""
