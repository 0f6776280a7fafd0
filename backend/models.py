"""Peewee models. Schema changes go through numbered files in backend/migrations/."""

from __future__ import annotations

from enum import StrEnum

import peewee as pw

from .db import JSONField, MoneyField, database


class InvoiceStatus(StrEnum):
    """Stable keys, mirrored by frontend/src/state/types.ts and translated there."""

    RECEIVED = "received"
    PROCESSING = "processing"
    PROCESSED = "processed"  # read, nothing to extract (kept for files processed before the reader)
    EXTRACTED = "extracted"
    NEEDS_REVIEW = "needs_review"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    # At the tax authority (backend/sync/machine.py moves invoices between these):
    PENDING_SYNC = "pending_sync"
    FOUND = "found"
    MISMATCH = "mismatch"
    VOIDED = "voided"
    RED_FLUSHED = "red_flushed"
    NOT_FOUND = "not_found"  # overdue: past the sync window and still not there
    SYNC_ERROR = "sync_error"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRY = "retry"
    DONE = "done"
    FAILED = "failed"
    HELD = "held"  # a bundle's page waiting for its turn (services/bundles.py releases it): not in the queue yet


class Reimbursement(StrEnum):
    """Where an invoice stands in the finance team's own work, apart from the authority."""

    UNCLAIMED = "unclaimed"  # 未报销
    CLAIMED = "claimed"  # 报销中: in a claim, locked against any other claim
    REIMBURSED = "reimbursed"  # 已报销


class Booking(StrEnum):
    UNBOOKED = "unbooked"  # 未入账
    BOOKED = "booked"  # 已入账 (with an accounting period and a voucher number)


class ClaimState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"  # its invoices are 已报销
    RETURNED = "returned"  # back to the claimant; its invoices are unlocked


class Role(StrEnum):
    """A person's role in one team (backend/roles.py says what each may do). A site admin is `User.is_admin`."""

    SUBMITTER = "submitter"  # uploads; sees the team's board; corrects and claims their own invoices
    ACCOUNTANT = "accountant"  # everything on the team's invoices: claims, 已报销, 已入账, ledger import, export
    ADMIN = "admin"  # the team's admin: the accountant's work plus members, buyer entities, settings
    AUDITOR = "auditor"  # reads everything, the audit log included; changes nothing


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class User(BaseModel):
    username = pw.CharField(max_length=64, unique=True)
    password_hash = pw.CharField(max_length=256)
    display_name = pw.CharField(max_length=128, default="")
    is_admin = pw.BooleanField(default=False)
    created_at = pw.DateTimeField()
    disabled_at = pw.DateTimeField(null=True)  # a disabled person cannot sign in; their sessions ended then
    password_changed_at = pw.DateTimeField(null=True)


class Team(BaseModel):
    name = pw.CharField(max_length=128, unique=True)
    created_at = pw.DateTimeField()


class Membership(BaseModel):
    user = pw.ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    team = pw.ForeignKeyField(Team, backref="memberships", on_delete="CASCADE")
    role = pw.CharField(max_length=16, default=Role.SUBMITTER.value)

    class Meta:
        indexes = ((("user", "team"), True),)


class StoredFile(BaseModel):
    """One file's bytes, stored once under data_dir/files by their SHA-256."""

    sha256 = pw.CharField(max_length=64, unique=True)
    size = pw.BigIntegerField()
    kind = pw.CharField(max_length=8)  # jpeg png webp heic pdf ofd
    mime = pw.CharField(max_length=64)
    width = pw.IntegerField(null=True)
    height = pw.IntegerField(null=True)
    created_at = pw.DateTimeField()


class Invoice(BaseModel):
    team = pw.ForeignKeyField(Team, backref="invoices", on_delete="CASCADE")
    file = pw.ForeignKeyField(StoredFile, backref="invoices")
    uploaded_by = pw.ForeignKeyField(User, backref="uploads", null=True, on_delete="SET NULL")
    original_name = pw.CharField(max_length=255)
    status = pw.CharField(max_length=24, default=InvoiceStatus.RECEIVED.value, index=True)
    # Why the status is what it is: a stable key (translated by the UI) plus its parameters.
    reason = pw.CharField(max_length=64, null=True)
    reason_params = JSONField(null=True)
    duplicate_of = pw.ForeignKeyField("self", null=True, backref="duplicates", on_delete="SET NULL")
    page_count = pw.IntegerField(null=True)
    # One file, many invoices (services/bundles.py): the pages (1-based) of the file this invoice is, its box
    # in a photo of several ({"box": [x0, y0, x1, y1], "quad": [[x, y] * 4]}), the bundle's first invoice (the
    # one the upload made; None on that one) and, on that one, how many invoices the file held.
    pages = JSONField(null=True)
    crop = JSONField(null=True)
    part_of = pw.IntegerField(null=True, index=True)
    parts = pw.IntegerField(null=True)
    width = pw.IntegerField(null=True)
    height = pw.IntegerField(null=True)
    has_thumbnail = pw.BooleanField(default=False)
    stage = pw.CharField(max_length=24, null=True)  # reader stage while processing
    family = pw.CharField(max_length=24, null=True)
    fields = JSONField(null=True)  # {name: {value, confidence, box, source, review, alternatives}}
    qr_text = pw.TextField(null=True)
    validation = JSONField(null=True)  # [{key, severity, fields, params}]
    reading = JSONField(null=True)  # timings, page size
    # The authority side: when to look again, what it said, and why it is not found (ranked).
    authority_key = pw.CharField(max_length=40, null=True, index=True)  # code-number or 数电 number
    next_check_at = pw.DateTimeField(null=True, index=True)
    pending_since = pw.DateTimeField(null=True)
    checks_done = pw.IntegerField(default=0)
    last_outcome = pw.CharField(max_length=24, null=True)
    authority = JSONField(null=True)  # {fields, differences, source} as the authority has them
    diagnosis = JSONField(null=True)  # [{key, score, params, action}] best first
    # Derived from `fields` by services/indexing.py whenever they change: what search, filters and sorting use.
    key = pw.CharField(max_length=40, null=True)  # identity within the team: code-number or 数电 number
    issue_date = pw.DateField(null=True)
    total_amount = MoneyField(null=True)
    seller_name = pw.CharField(max_length=200, null=True)
    buyer_name = pw.CharField(max_length=200, null=True)
    search_text = pw.TextField(null=True)
    search_grams = pw.TextField(null=True)  # PostgreSQL only: its two-character words, for a GIN text index
    # One invoice, counted once (services/identity.py): why this one is a duplicate, or a near miss worth a note.
    duplicate = JSONField(null=True)
    not_duplicate_of = JSONField(null=True)  # ids a person said are not the same invoice
    # The finance team's work (services/claims.py, services/booking.py).
    reimbursement = pw.CharField(max_length=16, default=Reimbursement.UNCLAIMED.value, index=True)
    claim = pw.DeferredForeignKey("Claim", null=True, on_delete="SET NULL", backref="invoices")
    reimbursed_at = pw.DateTimeField(null=True)
    booking = pw.CharField(max_length=16, default=Booking.UNBOOKED.value, index=True)
    booking_period = pw.CharField(max_length=7, null=True)  # YYYY-MM
    voucher_no = pw.CharField(max_length=64, null=True)  # 凭证号
    booked_at = pw.DateTimeField(null=True)
    booked_by = pw.IntegerField(null=True)
    flags = pw.CharField(max_length=255, null=True)  # "|flag|flag|": disagreements with the authority (reconcile.py)
    version = pw.IntegerField(default=1)  # bumped on every change; clients keep the newest
    created_at = pw.DateTimeField(index=True)
    updated_at = pw.DateTimeField(index=True)

    class Meta:
        indexes = ((("team", "file"), False), (("team", "key"), False), (("team", "issue_date"), False),
                   (("team", "total_amount"), False), (("team", "seller_name"), False),
                   (("team", "status", "reimbursement", "booking", "flags"), False),  # the board's counts
                   (("team", "created_at", "id"), False))  # its first page, newest first


class Event(BaseModel):
    """Append-only log. The auto-increment id is the cursor clients resume from."""

    team = pw.ForeignKeyField(Team, on_delete="CASCADE")
    invoice = pw.ForeignKeyField(Invoice, null=True, on_delete="CASCADE")
    kind = pw.CharField(max_length=32)
    data = JSONField()
    created_at = pw.DateTimeField()

    class Meta:
        indexes = ((("team", "id"), False),)


class Job(BaseModel):
    """The durable record of background work; the task queue only delivers job ids."""

    invoice = pw.ForeignKeyField(Invoice, backref="jobs", on_delete="CASCADE", null=True)  # None: team-level work
    kind = pw.CharField(max_length=32)
    payload = JSONField(null=True)  # what a job without an invoice works on (e.g. {"import_id": 3})
    state = pw.CharField(max_length=16, default=JobState.QUEUED.value, index=True)
    attempts = pw.IntegerField(default=0)
    max_attempts = pw.IntegerField(default=3)
    worker = pw.CharField(max_length=128, null=True)  # host:pid of the process running it
    lease_until = pw.DateTimeField(null=True)
    run_after = pw.DateTimeField(null=True)
    last_error = pw.CharField(max_length=64, null=True)
    last_error_detail = pw.TextField(null=True)
    requested_by = pw.IntegerField(null=True)  # the user who asked ("check now"); None: automatic
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()


class FieldCorrection(BaseModel):
    """A person's correction of one read field (the invoice keeps the current value)."""

    invoice = pw.IntegerField(index=True)
    user = pw.IntegerField(null=True)
    field = pw.CharField(max_length=32)
    old_value = pw.TextField(null=True)
    new_value = pw.TextField(null=True)
    created_at = pw.DateTimeField()


class SyncCheck(BaseModel):
    """One look at the authority for one invoice: the timeline on the invoice page."""

    invoice = pw.ForeignKeyField(Invoice, backref="checks", on_delete="CASCADE")
    at = pw.DateTimeField()
    trigger = pw.CharField(max_length=16)  # auto | manual | feed | ledger
    by_user = pw.IntegerField(null=True)
    outcome = pw.CharField(max_length=24)  # sync.types.Outcome
    status_after = pw.CharField(max_length=24)
    spent_quota = pw.BooleanField(default=False)  # counted against the 5-a-day look-ups
    detail = JSONField(null=True)
    next_check_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("invoice", "at"), False),)


class LedgerRow(BaseModel):
    """An invoice the authority knows of, for this team: imported from an export or pulled."""

    team = pw.ForeignKeyField(Team, on_delete="CASCADE")
    key = pw.CharField(max_length=40)  # code-number, or the 20-digit 数电 number
    invoice_code = pw.CharField(max_length=12, null=True)
    invoice_number = pw.CharField(max_length=20)
    issue_date = pw.CharField(max_length=10, null=True)
    seller_tax_id = pw.CharField(max_length=24, null=True)
    seller_name = pw.CharField(max_length=128, null=True)
    buyer_tax_id = pw.CharField(max_length=24, null=True)
    buyer_name = pw.CharField(max_length=128, null=True)
    amount = pw.CharField(max_length=20, null=True)
    tax = pw.CharField(max_length=20, null=True)
    total = pw.CharField(max_length=20, null=True)
    state = pw.CharField(max_length=16, default="normal")  # normal | voided | red_flushed | abnormal
    positive = pw.BooleanField(default=True)
    kind = pw.CharField(max_length=64, null=True)  # 发票票种
    risk = pw.CharField(max_length=32, null=True)
    check_code = pw.CharField(max_length=20, null=True)
    items = JSONField(null=True)  # line items from sheet 信息汇总表
    remarks = pw.TextField(null=True)  # 备注
    # 入账 status (01 未入账, 02/03 已入账, 06 撤销) and the 抵扣勾选 export's columns, where a file has them.
    entry_status = pw.CharField(max_length=8, null=True)  # the platform's code, as given
    entry = pw.CharField(max_length=16, null=True)  # unbooked | booked | revoked
    selected = pw.BooleanField(null=True)  # 是否勾选
    deductible_tax = pw.CharField(max_length=20, null=True)  # 有效抵扣税额
    red_lock = pw.CharField(max_length=32, null=True)  # 红字锁定标志
    risk_state = pw.CharField(max_length=32, null=True)  # 风险状态
    source = pw.CharField(max_length=16)  # import | feed
    row_hash = pw.CharField(max_length=32)
    updated_at = pw.DateTimeField()

    class Meta:
        indexes = ((("team", "key"), True), (("team", "invoice_number"), False))


class LedgerImport(BaseModel):
    """One uploaded export file, imported by a worker job (a 100k-row file takes seconds)."""

    team = pw.ForeignKeyField(Team, on_delete="CASCADE")
    user = pw.IntegerField(null=True)
    filename = pw.CharField(max_length=255)
    sha256 = pw.CharField(max_length=64)
    state = pw.CharField(max_length=16, default="queued")  # queued | running | done | failed
    summary = JSONField(null=True)
    error = JSONField(null=True)  # {key, params}
    created_at = pw.DateTimeField()
    finished_at = pw.DateTimeField(null=True)


class BuyerEntity(BaseModel):
    """A taxpayer the team buys as (name + tax ID): invoices made out to others are not its own."""

    team = pw.ForeignKeyField(Team, backref="entities", on_delete="CASCADE")
    name = pw.CharField(max_length=128)
    tax_id = pw.CharField(max_length=24)
    created_at = pw.DateTimeField()

    class Meta:
        indexes = ((("team", "tax_id"), True),)


class ConnectorState(BaseModel):
    """Health of the authority connector, shared by every process (the sync-health widget)."""

    name = pw.CharField(max_length=32, unique=True)
    ok = pw.BooleanField(default=True)
    last_ok_at = pw.DateTimeField(null=True)
    last_error_at = pw.DateTimeField(null=True)
    last_error = pw.CharField(max_length=64, null=True)
    down_since = pw.DateTimeField(null=True)
    failures = pw.IntegerField(default=0)  # in a row
    feed_cursor = pw.CharField(max_length=64, null=True)
    # The authority's row: bumped by every record of an answer, in its write; a board keeps the higher's snapshot.
    version = pw.IntegerField(default=0)


class Claim(BaseModel):
    """A reimbursement claim (报销单): invoices grouped with a claimant, a purpose and a total."""

    team = pw.ForeignKeyField(Team, backref="claims", on_delete="CASCADE")
    number = pw.CharField(max_length=32)  # BX-<year>-<seq>, shown to people
    claimant = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    purpose = pw.CharField(max_length=200)
    state = pw.CharField(max_length=16, default=ClaimState.DRAFT.value, index=True)
    total = MoneyField(default=0)
    count = pw.IntegerField(default=0)
    note = pw.CharField(max_length=500, null=True)  # why it was returned
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField()
    submitted_at = pw.DateTimeField(null=True)
    decided_at = pw.DateTimeField(null=True)
    decided_by = pw.IntegerField(null=True)
    version = pw.IntegerField(default=1)
    updated_at = pw.DateTimeField()

    class Meta:
        indexes = ((("team", "number"), True),)


class ClaimItem(BaseModel):
    """An invoice's membership of a claim, kept after it leaves (the claim's history)."""

    claim = pw.ForeignKeyField(Claim, backref="items", on_delete="CASCADE")
    invoice = pw.ForeignKeyField(Invoice, on_delete="CASCADE")
    added_by = pw.IntegerField(null=True)
    added_at = pw.DateTimeField()
    warning = JSONField(null=True)  # {key, params, reason}: entered although not found at the authority
    removed_at = pw.DateTimeField(null=True)
    removed_by = pw.IntegerField(null=True)

    class Meta:
        indexes = ((("claim", "invoice"), False), (("invoice",), False))


class Activity(BaseModel):
    """The audit trail: who did what to which invoice or claim, and when (the invoice timeline reads it)."""

    team = pw.ForeignKeyField(Team, on_delete="CASCADE")
    invoice = pw.IntegerField(null=True)
    claim = pw.IntegerField(null=True)
    user = pw.IntegerField(null=True)
    kind = pw.CharField(max_length=32)  # stable key, translated by the UI: activity.<kind>
    data = JSONField(null=True)
    at = pw.DateTimeField()

    class Meta:
        indexes = ((("invoice", "id"), False), (("team", "id"), False), (("claim", "id"), False))


class ExportRecord(BaseModel):
    team = pw.ForeignKeyField(Team, on_delete="CASCADE")
    user = pw.IntegerField(null=True)
    format = pw.CharField(max_length=8)
    query = pw.TextField(null=True)  # the filter, as a query string
    rows = pw.IntegerField(default=0)
    at = pw.DateTimeField()


class ExportItem(BaseModel):
    """Which export included which invoice (the invoice timeline shows its exports)."""

    export = pw.ForeignKeyField(ExportRecord, on_delete="CASCADE")
    invoice = pw.IntegerField(index=True)


class SavedView(BaseModel):
    """A board filter a person named and kept (the query string of the board's URL)."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE")
    team = pw.ForeignKeyField(Team, on_delete="CASCADE")
    name = pw.CharField(max_length=64)
    query = pw.CharField(max_length=2000)
    created_at = pw.DateTimeField()

    class Meta:
        indexes = ((("user", "team", "name"), True),)


class LoginSession(BaseModel):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is kept, so a copy of the database
    signs nobody in. Revoking the row ends the session at once, wherever its cookie is."""

    token_hash = pw.CharField(max_length=64, unique=True)
    user = pw.ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = pw.DateTimeField()
    last_seen_at = pw.DateTimeField()
    revoked_at = pw.DateTimeField(null=True)
    revoked_reason = pw.CharField(max_length=32, null=True)  # logout | everywhere | password | disabled | ...
    address = pw.CharField(max_length=64, null=True)
    user_agent = pw.CharField(max_length=255, null=True)

    class Meta:
        indexes = ((("user", "revoked_at"), False),)


class SocketLink(BaseModel):
    """A Socket.IO connection of a session, so that ending the session disconnects it in whichever process."""

    sid = pw.CharField(max_length=64, unique=True)
    session = pw.ForeignKeyField(LoginSession, backref="sockets", on_delete="CASCADE")
    connected_at = pw.DateTimeField()


class LoginThrottle(BaseModel):
    """Failed sign-ins counted per account (`user:<name>`) and per address (`addr:<ip>`)."""

    key = pw.CharField(max_length=160, unique=True)
    failures = pw.IntegerField(default=0)
    last_failure_at = pw.DateTimeField(index=True)  # keys quiet for an hour are deleted by it (services/throttle.py)
    blocked_until = pw.DateTimeField(null=True)


class OneTimeLink(BaseModel):
    """A link an admin hands a person to set their first (or a new) password; used once, then dead."""

    token_hash = pw.CharField(max_length=64, unique=True)
    user = pw.ForeignKeyField(User, backref="links", on_delete="CASCADE")
    purpose = pw.CharField(max_length=16)  # setup | reset
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField()
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)


class AuditEntry(BaseModel):
    """Append-only record of security- and money-relevant actions: who, when, from where, what.
    Nothing updates or deletes a row (backend/services/audit.py only inserts; PostgreSQL refuses it by trigger)."""

    at = pw.DateTimeField(index=True)
    actor = pw.IntegerField(null=True)  # the user id; None for the system or an unknown name
    actor_name = pw.CharField(max_length=64, null=True)  # kept as typed (failed sign-ins name no user)
    team = pw.IntegerField(null=True)
    action = pw.CharField(max_length=48, index=True)  # stable key, translated by the UI: audit.<action>
    target = pw.CharField(max_length=128, null=True)  # e.g. invoice:12, claim:3, user:5
    address = pw.CharField(max_length=64, null=True)
    data = JSONField(null=True)

    class Meta:
        indexes = ((("team", "at"), False), (("actor", "at"), False))


class BackupRecord(BaseModel):
    """One backup: asked for (queued), running, done or failed, and later verified or pruned (backend/backup).
    `running` is "backup" on the one row whose backup is under way and NULL elsewhere: its unique index lets at most
    one run at a time across every scheduler and CLI (a second claim fails to insert), and `lease_until`, renewed
    while it runs, lets a later claim declare a dead process's backup interrupted."""

    state = pw.CharField(max_length=16, index=True)  # queued | running | done | failed
    trigger = pw.CharField(max_length=16)  # schedule | manual (asked for in the UI) | cli
    requested_by = pw.IntegerField(null=True)
    path = pw.CharField(max_length=1024, null=True)
    backup_id = pw.CharField(max_length=32, null=True, index=True)  # the container's stream id (hex)
    key_id = pw.CharField(max_length=64, null=True)
    size = pw.BigIntegerField(null=True)
    contents = JSONField(null=True)  # {invoices, files, file_bytes}
    created_at = pw.DateTimeField(index=True)  # asked for, or started
    started_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)
    duration_seconds = pw.FloatField(null=True)
    ok = pw.BooleanField(null=True)
    error = pw.CharField(max_length=64, null=True)  # a stable key: backup.disk_full, ...
    error_params = JSONField(null=True)
    verified_at = pw.DateTimeField(null=True)
    verify_error = pw.CharField(max_length=64, null=True)
    pruned_at = pw.DateTimeField(null=True)  # retention deleted its file
    running = pw.CharField(max_length=16, null=True, unique=True)
    lease_until = pw.DateTimeField(null=True)


class Lease(BaseModel):
    """A role only one process may play at a time (backend/services/leases.py): `holder` has it until `until`,
    renewing it while alive; once it lapses any other process may take it over."""

    name = pw.CharField(max_length=32, primary_key=True)
    holder = pw.CharField(max_length=96)
    acquired_at = pw.DateTimeField()
    until = pw.DateTimeField()


ALL_MODELS = (User, Team, Membership, StoredFile, Invoice, Event, Job, FieldCorrection, SyncCheck, LedgerRow,
              LedgerImport, BuyerEntity, ConnectorState, Claim, ClaimItem, Activity, ExportRecord, ExportItem,
              SavedView, LoginSession, SocketLink, LoginThrottle, OneTimeLink, AuditEntry, BackupRecord, Lease)
