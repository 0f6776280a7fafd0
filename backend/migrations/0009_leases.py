"""Named leases (backend/services/leases.py): one row per role that only one process may hold at a time — the
scheduler's, so that of several `fapiao scheduler` processes one acts and the others stand by."""
from peewee import CharField, DateTimeField, Model


def up(migrator, db):
    class Lease(Model):
        name = CharField(max_length=32, primary_key=True)
        holder = CharField(max_length=96)
        acquired_at = DateTimeField()
        until = DateTimeField()

        class Meta:
            database = db
            table_name = "lease"

    db.create_tables([Lease])


def down(migrator, db):
    db.execute_sql("DROP TABLE lease")
