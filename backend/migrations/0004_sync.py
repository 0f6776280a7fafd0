"""The authority side: re-check schedule and diagnosis on invoices, checks, ledger rows, buyer entities."""
from peewee import (BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model)

from backend.db import JSONField

INVOICE_COLUMNS = ("authority_key", "next_check_at", "pending_since", "checks_done", "last_outcome", "authority", "diagnosis")


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("invoice", "authority_key", CharField(max_length=40, null=True)),
        migrator.add_index("invoice", ("authority_key",), False),
        migrator.add_column("invoice", "next_check_at", DateTimeField(null=True)),
        migrator.add_column("invoice", "pending_since", DateTimeField(null=True)),
        migrator.add_column("invoice", "checks_done", IntegerField(default=0)),
        migrator.add_column("invoice", "last_outcome", CharField(max_length=24, null=True)),
        migrator.add_column("invoice", "authority", JSONField(null=True)),
        migrator.add_column("invoice", "diagnosis", JSONField(null=True)),
        migrator.add_index("invoice", ("next_check_at",), False),
        migrator.add_column("job", "requested_by", IntegerField(null=True)),
    )

    class Team(Model):
        class Meta:
            database = db
            table_name = "team"

    class Invoice(Model):
        class Meta:
            database = db
            table_name = "invoice"

    class SyncCheck(Model):
        invoice = ForeignKeyField(Invoice, on_delete="CASCADE")
        at = DateTimeField()
        trigger = CharField(max_length=16)
        by_user = IntegerField(null=True)
        outcome = CharField(max_length=24)
        status_after = CharField(max_length=24)
        spent_quota = BooleanField(default=False)
        detail = JSONField(null=True)
        next_check_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "sync_check"
            indexes = ((("invoice", "at"), False),)

    class LedgerRow(Model):
        team = ForeignKeyField(Team, on_delete="CASCADE")
        key = CharField(max_length=40)
        invoice_code = CharField(max_length=12, null=True)
        invoice_number = CharField(max_length=20)
        issue_date = CharField(max_length=10, null=True)
        seller_tax_id = CharField(max_length=24, null=True)
        seller_name = CharField(max_length=128, null=True)
        buyer_tax_id = CharField(max_length=24, null=True)
        buyer_name = CharField(max_length=128, null=True)
        amount = CharField(max_length=20, null=True)
        tax = CharField(max_length=20, null=True)
        total = CharField(max_length=20, null=True)
        state = CharField(max_length=16, default="normal")
        positive = BooleanField(default=True)
        kind = CharField(max_length=64, null=True)
        risk = CharField(max_length=32, null=True)
        check_code = CharField(max_length=20, null=True)
        items = JSONField(null=True)
        source = CharField(max_length=16)
        row_hash = CharField(max_length=32)
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = "ledger_row"
            indexes = ((("team", "key"), True), (("team", "invoice_number"), False))

    class BuyerEntity(Model):
        team = ForeignKeyField(Team, on_delete="CASCADE")
        name = CharField(max_length=128)
        tax_id = CharField(max_length=24)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "buyer_entity"
            indexes = ((("team", "tax_id"), True),)

    class ConnectorState(Model):
        name = CharField(max_length=32, unique=True)
        ok = BooleanField(default=True)
        last_ok_at = DateTimeField(null=True)
        last_error_at = DateTimeField(null=True)
        last_error = CharField(max_length=64, null=True)
        down_since = DateTimeField(null=True)
        failures = IntegerField(default=0)
        feed_cursor = CharField(max_length=64, null=True)

        class Meta:
            database = db
            table_name = "connector_state"

    db.create_tables([SyncCheck, LedgerRow, BuyerEntity, ConnectorState])


def down(migrator, db):
    for table in ("connector_state", "buyer_entity", "ledger_row", "sync_check"):
        migrator.migrate(migrator.drop_table(table))
    migrator.migrate(*(migrator.drop_column("invoice", c) for c in INVOICE_COLUMNS),
                     migrator.drop_column("job", "requested_by"))
