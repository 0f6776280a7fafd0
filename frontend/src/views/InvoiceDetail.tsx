import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../api/http";
import { StatusChip } from "../components/StatusChip";
import { errorText, t } from "../i18n";
import { boxStyle, qrAgreement } from "../lib/qr";
import { openInvoice } from "../state/nav";
import { board, receiveInvoices } from "../state/store";
import type { FieldReading, Finding, Invoice } from "../state/types";
import { SyncPanel } from "../components/SyncPanel";

const FIELDS = ["invoice_code", "invoice_number", "issue_date", "check_code", "buyer_name", "buyer_tax_id",
  "seller_name", "seller_tax_id", "amount", "tax", "total", "total_in_words"] as const;

export function InvoiceDetail({ id }: { id: number }) {
  const inv = board.value.invoices.get(id);
  const [selected, setSelected] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  useEffect(() => {
    if (!inv) api<{ invoice: Invoice }>(`/api/invoices/${id}`).then((r) => receiveInvoices([r.invoice])).catch(() => undefined);
  }, [id]);
  if (!inv) return null;
  const page = inv.reading?.page_size ?? null;
  const qr = qrAgreement(inv);
  return (
    <section class="card detail" data-testid="invoice-detail">
      <div class="row between">
        <button type="button" class="link" onClick={() => openInvoice(null)}>← {t("detail.back")}</button>
        <StatusChip status={inv.status} stage={inv.stage} />
      </div>
      <h2>{inv.family ? t(`family.${inv.family}`) : inv.original_name}</h2>
      <span class={`badge qr-${qr}`} data-testid="qr-badge" data-qr={qr}>{t(qr === "none" ? "detail.no_qr" : `detail.qr_${qr}`)}</span>
      <SyncPanel inv={inv} onEditField={(name) => { setSelected(name); setEditing(name); }} />
      {inv.has_thumbnail && page && (
        <div class="page" data-testid="page">
          <img src={`/api/invoices/${inv.id}/preview?v=${inv.version}`} alt={inv.original_name} />
          {FIELDS.map((name) => {
            const f = inv.fields?.[name];
            return f?.box ? (
              <button type="button" key={name} data-testid={`box-${name}`} aria-label={t(`field.${name}`)}
                class={`box${selected === name ? " selected" : ""}${f.review ? " doubt" : ""}`}
                style={boxStyle(f.box, page)} onClick={() => setSelected(name)} />
            ) : null;
          })}
        </div>
      )}
      <h3>{t("detail.fields")}</h3>
      <ul class="fields">
        {FIELDS.map((name) => (
          <FieldRow key={name} inv={inv} name={name} f={inv.fields?.[name]} selected={selected === name}
            onSelect={() => setSelected(name)} editing={editing === name}
            onEdit={(on) => setEditing(on ? name : null)} />
        ))}
      </ul>
      <h3>{t("detail.checks")}</h3>
      <Findings findings={inv.validation ?? []} />

    </section>
  );
}

function FieldRow(props: { inv: Invoice; name: string; f?: FieldReading; selected: boolean; onSelect: () => void;
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
            <button type="button" class="link" data-testid={`edit-${name}`} onClick={(e) => { e.stopPropagation(); props.onEdit(true); }}>
              {t("detail.edit")}
            </button>
          </span>
        </div>
      )}
      {f?.alternatives.map((a) => (
        <p class="note" key={a.source}>{t("detail.qr_says", { value: a.value })}</p>
      ))}
      {corrected?.corrected_by && (
        <p class="note">{t("detail.corrected", { by: corrected.corrected_by, at: new Date(corrected.corrected_at!).toLocaleString(), previous: corrected.previous ?? "—" })}</p>
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

function Findings({ findings, compact }: { findings: Finding[]; compact?: boolean }) {
  if (!findings.length) return compact ? null : <p class="note">{t("detail.all_ok")}</p>;
  return (
    <ul class="findings" data-testid="findings">
      {findings.map((f, i) => (
        <li key={i} class={f.severity} data-key={f.key}>{t(`validation.${f.key}`, f.params)}</li>
      ))}
    </ul>
  );
}
