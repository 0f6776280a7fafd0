// One invoice, counted once: on a second file, why it is taken for the same invoice (same file, or the same
// key with which fields agree and differ), the first file and who uploaded it, and "not the same invoice";
// on the first file, its other files; on any, near misses worth a look.
import { useState } from "preact/hooks";
import { api, ApiError } from "../../api/http";
import { errorText, t } from "../../i18n";
import { shortDateTime } from "../../lib/format";
import { canOnInvoice } from "../../lib/perms";
import { receiveInvoices, user } from "../../state/store";
import type { Invoice } from "../../state/types";
import { isEvidence, isNear, type DuplicateEvidence, type DuplicateFile } from "./data";

export function DuplicateSection({ inv, duplicates }: { inv: Invoice; duplicates: DuplicateFile[] }) {
  const linked = inv.duplicate_of !== null;
  const evidence = isEvidence(inv.duplicate) ? inv.duplicate : null;
  if (!linked && !duplicates.length && !isNear(inv.duplicate)) return null;
  return (
    <section class="section dup" data-testid="duplicate-section">
      <h3>{t(linked ? "dup.title" : "dup.title_files")}</h3>
      {linked && <Evidence inv={inv} evidence={evidence} />}
      {!linked && duplicates.length > 0 && <OtherFiles files={duplicates} />}
      {isNear(inv.duplicate) && (
        <div class="note-box" data-testid="near-misses">
          <p>{t("dup.near_intro")}</p>
          <ul class="plain">
            {inv.duplicate.near.map((n) => (
              <li key={n.id}>
                <a href={`#/invoice/${n.id}`} data-testid="near-link">#{n.id} {n.key}</a>
                <span class="sub"> · {t(`dup.near.${n.kind}`)}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function Evidence({ inv, evidence }: { inv: Invoice; evidence: DuplicateEvidence | null }) {
  const original = evidence?.original;
  return (
    <div data-testid="duplicate-evidence" data-basis={evidence?.basis ?? ""}>
      <p class="warn-box">
        {evidence?.basis === "same_file"
          ? t("dup.same_file", { id: inv.duplicate_of })
          : t("dup.same_key", { id: inv.duplicate_of, key: evidence?.key ?? inv.key ?? "—" })}
      </p>
      <div class="dup-first">
        <dl class="facts">
          <dt>{t("dup.first_file")}</dt>
          <dd data-testid="dup-original">
            <a href={`#/invoice/${inv.duplicate_of}`}>{original?.name ?? `#${inv.duplicate_of}`}</a>
          </dd>
          <dt>{t("dup.uploaded")}</dt>
          <dd data-testid="dup-uploader">
            {t("dup.uploaded_by_at", { by: original?.uploaded_by ?? "—", at: shortDateTime(original?.uploaded_at) || "—" })}
          </dd>
          {evidence?.linked_at && (
            <>
              <dt>{t("dup.linked")}</dt>
              <dd>{shortDateTime(evidence.linked_at)}</dd>
            </>
          )}
        </dl>
        <a href={`#/invoice/${inv.duplicate_of}`} class="dup-thumb" aria-hidden="true" tabIndex={-1}>
          <img src={`/api/invoices/${inv.duplicate_of}/thumbnail`} alt="" loading="lazy"
            onError={(e) => (e.currentTarget.parentElement!.style.display = "none")} />
        </a>
      </div>
      {evidence && evidence.basis === "same_key" && <Fields evidence={evidence} />}
      {canOnInvoice(user.value, inv, "correct") && <Unlink inv={inv} />}
    </div>
  );
}

function Fields({ evidence }: { evidence: DuplicateEvidence }) {
  return (
    <>
      {evidence.agree.length > 0 && (
        <div data-testid="dup-agree">
          <span class="label">{t("dup.agree")}</span>
          <ul class="tags">
            {evidence.agree.map((f) => <li key={f} class="tag ok" data-field={f}>✓ {t(`field.${f}`)}</li>)}
          </ul>
        </div>
      )}
      {evidence.differ.length > 0 ? (
        <div class="scroll-x">
          <table class="compare" data-testid="dup-differ">
            <thead>
              <tr><th>{t("dup.field")}</th><th>{t("dup.this_file")}</th><th>{t("dup.first")}</th></tr>
            </thead>
            <tbody>
              {evidence.differ.map((d) => (
                <tr key={d.field} data-field={d.field}>
                  <th>{t(`field.${d.field}`)}</th>
                  <td class="mono">{d.ours ?? "—"}</td>
                  <td class="mono">{d.theirs ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="note">{t("dup.no_differences")}</p>
      )}
    </>
  );
}

function Unlink({ inv }: { inv: Invoice }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function unlink() {
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ invoice: Invoice }>(`/api/invoices/${inv.id}/unlink`, { method: "POST" });
      receiveInvoices([r.invoice]);
      setAsking(false);
    } catch (err) {
      setError(err instanceof ApiError ? errorText(err.body) : String(err));
    } finally {
      setBusy(false);
    }
  }
  if (!asking) {
    return (
      <button type="button" data-testid="unlink" onClick={() => setAsking(true)}>{t("dup.unlink")}</button>
    );
  }
  return (
    <div class="confirm" role="alertdialog" aria-labelledby={`unlink-q-${inv.id}`} data-testid="unlink-confirm">
      <p id={`unlink-q-${inv.id}`}>{t("dup.unlink_confirm")}</p>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="row wrap">
        <button type="button" class="primary" disabled={busy} data-testid="unlink-yes" onClick={unlink}>{t("dup.unlink_yes")}</button>
        <button type="button" disabled={busy} onClick={() => setAsking(false)}>{t("detail.cancel")}</button>
      </div>
    </div>
  );
}

function OtherFiles({ files }: { files: DuplicateFile[] }) {
  return (
    <div data-testid="duplicate-files">
      <p>{t("dup.has_files", { n: files.length })}</p>
      <ul class="plain">
        {files.map((f) => (
          <li key={f.id}>
            <a href={`#/invoice/${f.id}`}>{f.name}</a>
            <span class="sub"> · {t("dup.uploaded_by_at", { by: f.uploaded_by ?? "—", at: shortDateTime(f.uploaded_at) || "—" })}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
