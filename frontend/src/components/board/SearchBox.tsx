// The search box: what is typed becomes `q` in the URL after a short pause. The first change of a typing
// session adds a history entry (back returns to before the search); the rest rewrite it. While an input
// method is composing (pinyin on the way to 华为) nothing is searched.
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../../i18n";
import { setFilter } from "../../state/board";
import type { Filter } from "../../state/filter";

const PAUSE_MS = 350;

export function SearchBox({ filter }: { filter: Filter }) {
  const [text, setText] = useState(filter.q);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const typing = useRef(false);
  const committed = useRef(filter.q); // the last q this box put in the URL

  useEffect(() => {
    // Back/forward or a saved view changed it; our own commit must not undo what was typed since.
    if (filter.q !== committed.current) {
      committed.current = filter.q;
      setText(filter.q);
    }
  }, [filter.q]);

  function later(value: string) {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => commit(value), PAUSE_MS);
  }

  function commit(value: string) {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    const q = value.replace(/\s+/g, " ").trim();
    if (q === filter.q) return;
    committed.current = q;
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
          if (!(e as InputEvent).isComposing) later(value);
        }}
        onCompositionEnd={(e) => later(e.currentTarget.value)}
        onBlur={() => (typing.current = false)} />
    </form>
  );
}
