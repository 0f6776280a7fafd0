// The search box: what is typed becomes `q` in the URL after a short pause. The first change of a typing
// session adds a history entry (back returns to before the search); the rest rewrite it.
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../../i18n";
import { setFilter } from "../../state/board";
import type { Filter } from "../../state/filter";

const PAUSE_MS = 350;

export function SearchBox({ filter }: { filter: Filter }) {
  const [text, setText] = useState(filter.q);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const typing = useRef(false);

  useEffect(() => {
    if (text.trim() !== filter.q) setText(filter.q); // back/forward or a saved view changed it
  }, [filter.q]);

  function commit(value: string) {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    const q = value.trim();
    if (q === filter.q) return;
    setFilter({ ...filter, q }, typing.current);
    typing.current = true;
  }

  return (
    <form class="search" role="search" onSubmit={(e) => {
      e.preventDefault();
      commit(text);
      typing.current = false;
    }}>
      <input type="search" name="q" value={text} data-testid="search" placeholder={t("board.search")}
        aria-label={t("board.search")} enterKeyHint="search" autoComplete="off"
        onInput={(e) => {
          const value = e.currentTarget.value;
          setText(value);
          if (timer.current) clearTimeout(timer.current);
          timer.current = setTimeout(() => commit(value), PAUSE_MS);
        }}
        onBlur={() => (typing.current = false)} />
    </form>
  );
}
