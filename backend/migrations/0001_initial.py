# Generated from a schema diff on 2026-11-27 23:42.
from peewee import *
from backend.db import JSONField

def up(migrator, db):
    class Team(Model):
        name = CharField(unique=True, max_length=128)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'team'
    db.create_tables([Team])

    class StoredFile(Model):
        sha256 = CharField(unique=True, max_length=64)
        size = BigIntegerField()
        kind = CharField(max_length=8)
        mime = CharField(max_length=64)
        width = IntegerField(null=True)
        height = IntegerField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'stored_file'
    db.create_tables([StoredFile])

    class User(Model):
        username = CharField(unique=True, max_length=64)
        password_hash = CharField(max_length=256)
        display_name = CharField(max_length=128, default='')
        is_admin = BooleanField(default=False)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class Invoice(Model):
        team = ForeignKeyField(Team, on_delete='CASCADE')
        file = ForeignKeyField(StoredFile)
        uploaded_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        original_name = CharField()
        status = CharField(index=True, max_length=24, default='received')
        reason = CharField(null=True, max_length=64)
        reason_params = JSONField(null=True)
        duplicate_of = ForeignKeyField('self', null=True, on_delete='SET NULL')
        page_count = IntegerField(null=True)
        width = IntegerField(null=True)
        height = IntegerField(null=True)
        has_thumbnail = BooleanField(default=False)
        version = IntegerField(default=1)
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'invoice'
            indexes = ((('team', 'file'), False),)
    db.create_tables([Invoice])

    class Event(Model):
        team = ForeignKeyField(Team, on_delete='CASCADE')
        invoice = ForeignKeyField(Invoice, null=True, on_delete='CASCADE')
        kind = CharField(max_length=32)
        data = JSONField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'event'
            indexes = ((('team', 'id'), False),)
    db.create_tables([Event])

    class Job(Model):
        invoice = ForeignKeyField(Invoice, on_delete='CASCADE')
        kind = CharField(max_length=32)
        state = CharField(index=True, max_length=16, default='queued')
        attempts = IntegerField(default=0)
        max_attempts = IntegerField(default=3)
        worker = CharField(null=True, max_length=128)
        lease_until = DateTimeField(null=True)
        run_after = DateTimeField(null=True)
        last_error = CharField(null=True, max_length=64)
        last_error_detail = TextField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'job'
    db.create_tables([Job])

    class Membership(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='CASCADE')
        role = CharField(max_length=16, default='member')
        class Meta:
            database = db
            table_name = 'membership'
            indexes = ((('user', 'team'), True),)
    db.create_tables([Membership])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('membership'))
    migrator.migrate(migrator.drop_table('job'))
    migrator.migrate(migrator.drop_table('event'))
    migrator.migrate(migrator.drop_table('invoice'))
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('stored_file'))
    migrator.migrate(migrator.drop_table('team'))
