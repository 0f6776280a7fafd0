// A ledger import's problems in words: where each left-out row is (row, column, field), so it can be found
// and fixed in the spreadsheet. Pure, so it is tested on its own (tests/evidence.test.ts).
import { known, t } from "../i18n";

export interface ImportProblem {
  line: number;
  key: string;
  field?: string | null;
  column?: string | null;
}

export function problemText(p: ImportProblem): string {
  const field = p.field && known(`field.${p.field}`) ? t(`field.${p.field}`) : p.field;
  if (p.column && field) return t(p.key, { line: p.line, column: p.column, field });
  return known(`${p.key}.line`) ? t(`${p.key}.line`, { line: p.line }) : t(p.key, { line: p.line });
}
