"""What a run's cassettes show a person: a cassette's transcript in the terminal
(:mod:`.terminal`) and the cassettes' loading for it (:mod:`.sources`).
"""
