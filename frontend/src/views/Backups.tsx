// Backups, for site admins (GET/POST /api/backups): whether they are set up (if not, how), the last one (when,
// how big, verified or why not), the one waiting or running — asked again every 3 s while there is one, and
// while the last one is being verified — when the next scheduled one is due, what is kept and where, and the
// history newest first (a table on a desktop, stacked rows on a phone). "Back up now" queues one for the
// scheduler process; the server decides, and its refusals show in the viewer's language.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../api/http";
import { errorText, t } from "../i18n";
import {
  backupStatus, canBackUpNow, contentsText, durationText, humanSize, inProgress, POLL_MS, problemText, recordTime,
  relativeTime, retentionText, scheduleText, shouldPoll, triggerText, type BackupListing, type BackupRecord,
} from "../lib/backups";
import { shortDateTime } from "../lib/format";

const message = (err: unknown) => (err instanceof ApiError ? errorText(err.body) : String(err));

export function Backups() {
  const [listing, setListing] = useState<BackupListing | null>(null);
  const [error, setError] = useState<unknown>(null); // said at render time: a language switch translates it too
  const [busy, setBusy] = useState(false);
  const [round, setRound] = useState(0); // each answer, or failure, of a load: a failed one is tried again too
  const alive = useRef(true);
  const asked = useRef(0); // the newest request: an older answer arriving late is dropped

  async function load() {
    const ticket = ++asked.current;
    try {
      const next = await api<BackupListing>("/api/backups?limit=50");
      if (alive.current && ticket === asked.current) {
        setListing(next);
        setError(null);
      }
    } catch (err) {
      if (alive.current && ticket === asked.current) setError(err);
    } finally {
      if (alive.current && ticket === asked.current) setRound((n) => n + 1);
    }
  }
  useEffect(() => {
    alive.current = true;
    load();
    return () => { alive.current = false; };
  }, []);
  // Asked again while something changes by itself; leaving the page (unmount) or nothing left to wait for stops it.
  useEffect(() => {
    if (!shouldPoll(listing, Date.now())) return;
    const timer = setTimeout(load, POLL_MS);
    return () => clearTimeout(timer);
  }, [listing, round]);

  async function backUpNow() {
    setBusy(true);
    setError(null);
    try {
      const res = await api<{ record: BackupRecord; queued: boolean }>("/api/backups", { method: "POST" });
      if (alive.current) setListing((b) => (b ? { ...b, queued: b.queued ?? res.record } : b));
      await load();
    } catch (err) {
      if (alive.current) setError(err);
    } finally {
      if (alive.current) setBusy(false);
    }
  }

  const now = Date.now();
  const progress = inProgress(listing);
  return (
    <section class="card backups" data-testid="backups" aria-labelledby="backups-title">
      <div class="row between wrap">
        <h2 id="backups-title">{t("backups.title")}</h2>
        {listing && (
          <button type="button" class="primary" data-testid="backup-now" disabled={busy || !canBackUpNow(listing)}
            onClick={backUpNow}>{t("backups.now")}</button>
        )}
      </div>
      {error !== null && <p class="error" role="alert" data-testid="backup-error">{message(error)}</p>}
      {listing === null ? (
        error === null && <p class="note">{t("finance.loading")}</p>
      ) : (
        <>
          {!listing.configured && <NotConfigured />}
          {progress && <Progress record={progress} now={now} />}
          <div class="backup-overview">
            <LastBackup listing={listing} now={now} />
            <Setup listing={listing} now={now} />
          </div>
          <History records={listing.records} now={now} />
        </>
      )}
    </section>
  );
}

function NotConfigured() {
  return (
    <div class="notice warn backup-setup" data-testid="backup-unconfigured">
      <p><strong>{t("backups.off_title")}</strong></p>
      <p>{t("backups.off_why")}</p>
      <p>{t("backups.off_how")}</p>
      <ul>
        <li><code>FAPIAO_BACKUP_PASSPHRASE</code> — {t("backups.off_passphrase")}</li>
        <li><code>FAPIAO_BACKUP_KEY_FILE</code> — {t("backups.off_key_file")} <code>fapiao backup keygen FILE</code></li>
      </ul>
      <p>{t("backups.off_keep")}</p>
    </div>
  );
}

function Progress({ record, now }: { record: BackupRecord; now: number }) {
  const running = record.state === "running";
  return (
    <p class="notice" role="status" data-testid="backup-progress" data-state={record.state}>
      <span class="spinner" aria-hidden="true" />
      {running
        ? t("backups.running_since", { at: relativeTime(record.started_at, now) })
        : t("backups.waiting", { who: triggerText(record) })}
    </p>
  );
}

function When({ iso, now }: { iso: string | null; now: number }) {
  if (!iso) return <>—</>;
  return <><time dateTime={iso} title={iso}>{shortDateTime(iso)}</time> <span class="sub">{t("backups.relative", { when: relativeTime(iso, now) })}</span></>;
}

function StatusBadge({ record, now }: { record: BackupRecord; now: number }) {
  const status = backupStatus(record, now);
  return <span class={`badge backup-${status}`} data-testid="backup-status" data-status={status}>{t(`backups.status.${status}`)}</span>;
}

function LastBackup({ listing, now }: { listing: BackupListing; now: number }) {
  const last = listing.last;
  const problem = last ? problemText(last) : null;
  return (
    <div class="backup-panel" data-testid="backup-last" data-status={last ? backupStatus(last, now) : "none"}>
      <h3>{t("backups.last")}</h3>
      {!last ? (
        <p class="hint" data-testid="backup-none">{t("backups.none_yet")}</p>
      ) : (
        <dl class="facts">
          <dt>{t("backups.finished")}</dt>
          <dd data-testid="backup-last-finished"><When iso={recordTime(last)} now={now} /></dd>
          <dt>{t("backups.outcome")}</dt>
          <dd data-testid="backup-last-verified"><StatusBadge record={last} now={now} /></dd>
          {problem && <><dt>{t("backups.problem")}</dt><dd class="error-text" data-testid="backup-last-error">{problem}</dd></>}
          {last.ok && <><dt>{t("backups.size")}</dt><dd data-testid="backup-last-size">{humanSize(last.size)}</dd></>}
          {contentsText(last) && <><dt>{t("backups.contents_label")}</dt><dd>{contentsText(last)}</dd></>}
          {last.duration_seconds !== null && <><dt>{t("backups.took")}</dt><dd>{durationText(last.duration_seconds)}</dd></>}
          <dt>{t("backups.started_by")}</dt>
          <dd>{triggerText(last)}</dd>
          {last.file && <><dt>{t("backups.file")}</dt><dd class="mono" data-testid="backup-last-file">{last.file}</dd></>}
        </dl>
      )}
    </div>
  );
}

function nextRun(listing: BackupListing, now: number) {
  if (!listing.configured) return <>—</>;
  if (!(listing.interval_hours > 0) || !listing.next_run) return <>{t("backups.on_request")}</>;
  if (Date.parse(listing.next_run) <= now) return <>{t("backups.due_now")}</>;
  return <When iso={listing.next_run} now={now} />;
}

function Setup({ listing, now }: { listing: BackupListing; now: number }) {
  return (
    <div class="backup-panel" data-testid="backup-setup">
      <h3>{t("backups.schedule")}</h3>
      <dl class="facts">
        <dt>{t("backups.next")}</dt>
        <dd data-testid="backup-next">{nextRun(listing, now)}</dd>
        <dt>{t("backups.how_often")}</dt>
        <dd data-testid="backup-interval">
          {listing.configured ? scheduleText(listing.interval_hours) : t("backups.off_then", { schedule: scheduleText(listing.interval_hours) })}
        </dd>
        <dt>{t("backups.retention")}</dt>
        <dd data-testid="backup-retention">{retentionText(listing.keep, listing.keep_days)}</dd>
        <dt>{t("backups.location")}</dt>
        <dd class="mono" data-testid="backup-dir">{listing.dir}</dd>
        <dt>{t("backups.key")}</dt>
        <dd data-testid="backup-key">{t(`backups.key.${listing.key_kind ?? "none"}`)}</dd>
      </dl>
    </div>
  );
}

function History({ records, now }: { records: BackupRecord[]; now: number }) {
  return (
    <>
      <h3>{t("backups.history")}</h3>
      {records.length === 0 ? (
        <p class="hint" data-testid="backup-empty">{t("backups.none_yet")}</p>
      ) : (
        <table class="list-table backup-table" data-testid="backup-history">
          <thead>
            <tr>
              <th>{t("backups.when")}</th><th>{t("backups.outcome")}</th><th>{t("backups.started_by")}</th>
              <th class="num">{t("backups.size")}</th><th class="num">{t("backups.took")}</th><th>{t("backups.file")}</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => {
              const problem = problemText(r);
              const at = recordTime(r);
              return (
                <tr key={r.id} data-testid="backup-record" data-id={r.id} data-status={backupStatus(r, now)}>
                  <td class="b-at sub">{at ? <time dateTime={at} title={at}>{shortDateTime(at)}</time> : "—"}</td>
                  <td class="b-status"><StatusBadge record={r} now={now} /></td>
                  <td class="b-who">{triggerText(r)}</td>
                  <td class="b-size num">{r.ok ? humanSize(r.size) : ""}</td>
                  <td class="b-took num sub">{durationText(r.duration_seconds)}</td>
                  <td class="b-file">
                    {r.file && <span class="mono sub">{r.file}</span>}
                    {problem && <span class="error-text" data-testid="backup-record-error">{problem}</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
