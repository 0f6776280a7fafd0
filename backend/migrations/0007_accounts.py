"""People and roles, server-side sessions, sign-in throttling, one-time password links and the append-only audit
log. The old `member` role becomes `submitter` (what a member could do is what a submitter may do)."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model  # noqa: F401

from backend.db import JSONField

_APPEND_ONLY = "the audit log is append-only"


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    migrator.migrate(
        migrator.add_column("user", "disabled_at", DateTimeField(null=True)),
        migrator.add_column("user", "password_changed_at", DateTimeField(null=True)),
    )
    db.execute_sql("UPDATE membership SET role = 'submitter' WHERE role = 'member'")

    class LoginSession(Model):
        token_hash = CharField(max_length=64, unique=True)
        user = ForeignKeyField(User, on_delete="CASCADE")
        created_at = DateTimeField()
        last_seen_at = DateTimeField()
        revoked_at = DateTimeField(null=True)
        revoked_reason = CharField(max_length=32, null=True)
        address = CharField(max_length=64, null=True)
        user_agent = CharField(max_length=255, null=True)

        class Meta:
            database = db
            table_name = "login_session"
            indexes = ((("user", "revoked_at"), False),)

    class SocketLink(Model):
        sid = CharField(max_length=64, unique=True)
        session = ForeignKeyField(LoginSession, on_delete="CASCADE")
        connected_at = DateTimeField()

        class Meta:
            database = db
            table_name = "socket_link"

    class LoginThrottle(Model):
        key = CharField(max_length=160, unique=True)
        failures = IntegerField(default=0)
        last_failure_at = DateTimeField(index=True)
        blocked_until = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "login_throttle"

    class OneTimeLink(Model):
        token_hash = CharField(max_length=64, unique=True)
        user = ForeignKeyField(User, on_delete="CASCADE")
        purpose = CharField(max_length=16)
        created_by = IntegerField(null=True)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "one_time_link"

    class AuditEntry(Model):
        at = DateTimeField(index=True)
        actor = IntegerField(null=True)
        actor_name = CharField(max_length=64, null=True)
        team = IntegerField(null=True)
        action = CharField(max_length=48, index=True)
        target = CharField(max_length=128, null=True)
        address = CharField(max_length=64, null=True)
        data = JSONField(null=True)

        class Meta:
            database = db
            table_name = "audit_entry"
            indexes = ((("team", "at"), False), (("actor", "at"), False))

    db.create_tables([LoginSession, SocketLink, LoginThrottle, OneTimeLink, AuditEntry])
    _append_only(db)


def _append_only(db) -> None:
    """The database itself refuses to change or remove an audit row, whatever code runs."""
    from backend.db import is_postgres

    if is_postgres():
        db.execute_sql(f"""
            CREATE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END; $$ LANGUAGE plpgsql""")
        db.execute_sql("""
            CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
            FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()""")
        return
    for op in ("UPDATE", "DELETE"):
        db.execute_sql(f"""
            CREATE TRIGGER audit_entry_no_{op.lower()} BEFORE {op} ON audit_entry
            BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END""")


def down(migrator, db):
    raise RuntimeError("0007_accounts is not reversible")
