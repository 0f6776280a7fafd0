"""What the reader found: family, fields (value, confidence, box, source), QR text, validation."""
from peewee import CharField, TextField

from backend.db import JSONField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("invoice", "stage", CharField(max_length=24, null=True)),
        migrator.add_column("invoice", "family", CharField(max_length=24, null=True)),
        migrator.add_column("invoice", "fields", JSONField(null=True)),
        migrator.add_column("invoice", "qr_text", TextField(null=True)),
        migrator.add_column("invoice", "validation", JSONField(null=True)),
        migrator.add_column("invoice", "reading", JSONField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(*(migrator.drop_column("invoice", c)
                       for c in ("stage", "family", "fields", "qr_text", "validation", "reading")))
