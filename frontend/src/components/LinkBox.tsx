// A one-time link just made for a person (a first password or a reset): shown once, to the admin who made it,
// with a copy button, its expiry and what to do with it. The server keeps only its hash.
import { useRef, useState } from "preact/hooks";
import { t } from "../i18n";
import { copyText } from "../lib/clipboard";
import { shortDateTime } from "../lib/format";
import type { OneTimeLink } from "../state/types";

export function LinkBox({ link, name, purpose, onClose }: {
  link: OneTimeLink; name: string; purpose: "setup" | "reset"; onClose: () => void;
}) {
  const input = useRef<HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  return (
    <div class="linkbox" role="status" data-testid="one-time-link" data-purpose={purpose}>
      <p><b>{t(`link.title.${purpose}`, { name })}</b></p>
      <p class="note">{t("link.explain", { name })}</p>
      <div class="row copy-row">
        {/* All of it in sight, wrapped on a phone: the admin may read it out or check what was copied. */}
        <textarea ref={input} readOnly rows={3} value={link.url} data-testid="link-url" aria-label={t("link.url")}
          spellcheck={false} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" class="primary" data-testid="link-copy"
          onClick={async () => setCopied(await copyText(link.url, input.current))}>
          {t("link.copy")}
        </button>
      </div>
      <p class="note" data-testid="link-expiry">
        {t("link.expires", { at: shortDateTime(link.expires_at) })}
        {copied === true && <span class="ok-text" data-testid="link-copied"> · {t("link.copied")}</span>}
        {copied === false && <span class="error"> · {t("link.copy_failed")}</span>}
      </p>
      <button type="button" class="link" data-testid="link-close" onClick={onClose}>{t("link.done")}</button>
    </div>
  );
}
