"""Corrections people make to read fields: who, when, old and new value."""
from peewee import CharField, DateTimeField, IntegerField, Model, TextField


def up(migrator, db):
    class FieldCorrection(Model):
        invoice = IntegerField(index=True)
        user = IntegerField(null=True)
        field = CharField(max_length=32)
        old_value = TextField(null=True)
        new_value = TextField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "field_correction"

    db.create_tables([FieldCorrection])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("field_correction"))
