"""The authority side: connectors, matching, the status machine, the re-check schedule, diagnosis.

Everything here is pure (or, for connectors, talks only to the authority); services/sync.py ties it
to the database.
"""
