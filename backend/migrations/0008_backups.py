"""Backups (backend/backup): one row per backup asked for, run, verified or pruned. The unique `running` column
is the lease: at most one backup runs at a time, whichever scheduler or CLI started it."""
from peewee import BigIntegerField, BooleanField, CharField, DateTimeField, FloatField, IntegerField, Model

from backend.db import JSONField


def up(migrator, db):
    class BackupRecord(Model):
        state = CharField(max_length=16, index=True)
        trigger = CharField(max_length=16)
        requested_by = IntegerField(null=True)
        path = CharField(max_length=1024, null=True)
        backup_id = CharField(max_length=32, null=True, index=True)
        key_id = CharField(max_length=64, null=True)
        size = BigIntegerField(null=True)
        contents = JSONField(null=True)
        created_at = DateTimeField(index=True)
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        duration_seconds = FloatField(null=True)
        ok = BooleanField(null=True)
        error = CharField(max_length=64, null=True)
        error_params = JSONField(null=True)
        verified_at = DateTimeField(null=True)
        verify_error = CharField(max_length=64, null=True)
        pruned_at = DateTimeField(null=True)
        running = CharField(max_length=16, null=True, unique=True)
        lease_until = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "backup_record"

    db.create_tables([BackupRecord])


def down(migrator, db):
    db.execute_sql("DROP TABLE backup_record")
