"""Backups (issue 12): one encrypted, authenticated file holding everything an installation needs to come back —
a consistent snapshot of the database (users, roles and the audit log with it), every stored original, the
thumbnails, the authority simulator's database, the session key and simulator token, and the settings in effect.

    keys.py      the admin's passphrase or key file (never the app's secret key); key ids
    format.py    the container: chunked AES-256-GCM, scrypt/HKDF-wrapped data key, rekey
    snapshot.py  the database snapshot (SQLite online backup API; pg_dump of an exported snapshot) and its counts
    archive.py   the tar stream inside: manifest, file list, members, and the checks on reading
    service.py   create / verify / restore / rekey
    records.py   BackupRecord state changes (the one-at-a-time lease), with their audit entries
    schedule.py  when backups run (the scheduler's loop), verification after each, retention
"""
