// An inline "are you sure" for a change that reaches other people (disable, reset, remove from a team, sign
// out everywhere): the question in words, then yes or cancel.
import type { ComponentChildren } from "preact";
import { t } from "../i18n";

export function Confirm({ children, yes, busy, onYes, onNo, testid }: {
  children: ComponentChildren; yes: string; busy: boolean; onYes: () => void; onNo: () => void; testid?: string;
}) {
  return (
    <div class="confirm" role="alertdialog" data-testid={testid ?? "confirm"}>
      <p>{children}</p>
      <div class="row wrap">
        <button type="button" class="primary" disabled={busy} data-testid="confirm-yes" onClick={onYes}>{yes}</button>
        <button type="button" disabled={busy} data-testid="confirm-no" onClick={onNo}>{t("detail.cancel")}</button>
      </div>
    </div>
  );
}
