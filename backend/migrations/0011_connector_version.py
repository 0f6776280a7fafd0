"""The authority connector's health row counts its changes (`version`, bumped in the write that makes one): a board
keeps the snapshot of the higher, whether read or pushed, where the time of its last answer tied or went back."""
from peewee import IntegerField


def up(migrator, db):
    migrator.migrate(migrator.add_column("connector_state", "version", IntegerField(default=0)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("connector_state", "version"))
