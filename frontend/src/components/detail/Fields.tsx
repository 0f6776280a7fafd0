// The fields as read (value, source, confidence, doubts, what the QR says), a correction editor with live
// hints from the server's own validation, and the validation findings.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../../api/http";
import { errorText, t } from "../../i18n";
import { shortDateTime } from "../../lib/format";
import { canOnInvoice } from "../../lib/perms";
import { receiveInvoices, user } from "../../state/store";
import type { FieldReading, Finding, Invoice } from "../../state/types";

export function FieldRow(props: { inv: Invoice; name: string; f?: FieldReading; selected: boolean; onSelect: () => void;
  editing: boolean; onEdit: (on: boolean) => void }) {
  const { inv, name, f, selected } = props;
  const el = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (selected) el.current?.scrollIntoView({ block: "nearest" });
  }, [selected]);
  const corrected = f as (FieldReading & { corrected_by?: string; corrected_at?: string; previous?: string }) | undefined;
  return (
    <li ref={el} class={`field${selected ? " selected" : ""}`} data-testid={`field-${name}`} onClick={props.onSelect}>
      <div class="row between">
        <span class="label">{t(`field.${name}`)}</span>
        {f?.source && <span class="source">{f.source.split("+").map((s) => t(`source.${s}`)).join(" + ")}</span>}
      </div>
      {props.editing ? (
        <Editor inv={inv} name={name} initial={f?.value ?? ""} onDone={() => props.onEdit(false)} />
      ) : (
        <div class="row between">
          <span class="value" data-testid="value">{f?.value ?? "—"}</span>
          <span class="row">
            {f?.value && <span class={`conf${f.confidence < 0.9 ? " low" : ""}`}>{Math.round(f.confidence * 100)}%</span>}
            {f?.review && <span class="doubt-tag">{t("detail.review")}</span>}
            {canOnInvoice(user.value, inv, "correct") && (
              <button type="button" class="link" data-testid={`edit-${name}`} onClick={(e) => { e.stopPropagation(); props.onEdit(true); }}>
                {t("detail.edit")}
              </button>
            )}
          </span>
        </div>
      )}
      {f?.alternatives.map((a) => (
        <p class="note" key={a.source}>{t("detail.qr_says", { value: a.value })}</p>
      ))}
      {corrected?.corrected_by && (
        <p class="note">{t("detail.corrected", { by: corrected.corrected_by, at: shortDateTime(corrected.corrected_at), previous: corrected.previous ?? "—" })}</p>
      )}
    </li>
  );
}

function Editor({ inv, name, initial, onDone }: { inv: Invoice; name: string; initial: string; onDone: () => void }) {
  const [value, setValue] = useState(initial);
  const [hints, setHints] = useState<Finding[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    // Live hints: the server's own validation rules on the fields as they would be.
    const fields: Record<string, string | null> = {};
    for (const [k, f] of Object.entries(inv.fields ?? {})) fields[k] = f.value;
    fields[name] = value || null;
    const timer = setTimeout(() => {
      api<{ findings: Finding[] }>("/api/validate", { method: "POST", json: { family: inv.family, fields } })
        .then((r) => setHints(r.findings.filter((f) => f.fields.includes(name))))
        .catch(() => undefined);
    }, 250);
    return () => clearTimeout(timer);
  }, [value]);
  async function save(e: Event) {
    e.preventDefault();
    try {
      const r = await api<{ invoice: Invoice }>(`/api/invoices/${inv.id}/fields`, { method: "POST", json: { field: name, value } });
      receiveInvoices([r.invoice]);
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? errorText(err.body) : String(err));
    }
  }
  return (
    <form class="editor" onSubmit={save} data-testid="editor">
      <input value={value} onInput={(e) => setValue(e.currentTarget.value)} data-testid="editor-input" autofocus />
      <Findings findings={hints} compact />
      {error && <p class="error">{error}</p>}
      <div class="row">
        <button type="submit" class="primary">{t("detail.save")}</button>
        <button type="button" onClick={onDone}>{t("detail.cancel")}</button>
      </div>
    </form>
  );
}

export function Findings({ findings, compact }: { findings: Finding[]; compact?: boolean }) {
  if (!findings.length) return compact ? null : <p class="note">{t("detail.all_ok")}</p>;
  return (
    <ul class="findings" data-testid="findings">
      {findings.map((f, i) => (
        <li key={i} class={f.severity} data-key={f.key}>{t(`validation.${f.key}`, f.params)}</li>
      ))}
    </ul>
  );
}
