import { useState } from "preact/hooks";

/** A file name cut to one line (styles.css `button.filename`): the whole name on hover, and on a tap (a phone
 * has no hover) it unfolds. The invoice page's file line and the upload queue's rows show names with it. */
export function FileName({ name, testId = "file-name" }: { name: string; testId?: string }) {
  const [whole, setWhole] = useState(false);
  return (
    <button type="button" class={`filename${whole ? " whole" : ""}`} title={name} data-testid={testId}
      aria-expanded={whole} onClick={() => setWhole(!whole)}>{name}</button>
  );
}
