// Checkbox clicks of any list, into the board's one selection.
import { selection } from "../../state/board";
import { idsBetween, type ResultState } from "../../state/reduce";
import { clickRow } from "../../state/selection";

export function pick(result: ResultState, row: number, id: number, shift: boolean): void {
  selection.value = clickRow(selection.value, result.query, row, id, shift, (from, to) => idsBetween(result, from, to));
}
