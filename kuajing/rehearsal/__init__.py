"""`kuajing rehearse`: the built-in full-link 11.11 rehearsal (stage, load, verdict)."""
