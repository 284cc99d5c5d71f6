"""What a run's cassettes show a person: a cassette's transcript in the terminal
(:mod:`.terminal`), the cassettes read for it (:mod:`.sources`), and the run's HTML report
(:mod:`.html`).
"""
