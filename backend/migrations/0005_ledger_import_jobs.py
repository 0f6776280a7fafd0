"""Ledger imports run as worker jobs: jobs may have no invoice and carry a payload."""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model

from backend.db import JSONField


def up(migrator, db):
    migrator.migrate(
        migrator.drop_not_null("job", "invoice_id"),
        migrator.add_column("job", "payload", JSONField(null=True)),
    )

    class Team(Model):
        class Meta:
            database = db
            table_name = "team"

    class LedgerImport(Model):
        team = ForeignKeyField(Team, on_delete="CASCADE")
        user = IntegerField(null=True)
        filename = CharField(max_length=255)
        sha256 = CharField(max_length=64)
        state = CharField(max_length=16, default="queued")
        summary = JSONField(null=True)
        error = JSONField(null=True)
        created_at = DateTimeField()
        finished_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "ledger_import"

    db.create_tables([LedgerImport])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("ledger_import"), migrator.drop_column("job", "payload"))
