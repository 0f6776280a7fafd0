"""One file, many invoices: an invoice may be one page group of a bundle (a PDF of 29 invoices) or one document
cropped out of a photo of several receipts. Each keeps where it came from: its pages, its box in the photo, the
bundle's first invoice (the one the upload made) and, on that one, how many invoices the file held."""
from peewee import IntegerField

from backend.db import JSONField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("invoice", "pages", JSONField(null=True)),
        migrator.add_column("invoice", "crop", JSONField(null=True)),
        migrator.add_column("invoice", "parts", IntegerField(null=True)),
        # The first invoice's id (no foreign key: a part outlives nothing, it is read on its own).
        migrator.add_column("invoice", "part_of", IntegerField(null=True)),
        migrator.add_index("invoice", ("part_of",), False),
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_index("invoice", "invoice_part_of"), migrator.drop_column("invoice", "part_of"),
                     migrator.drop_column("invoice", "parts"), migrator.drop_column("invoice", "crop"),
                     migrator.drop_column("invoice", "pages"))
