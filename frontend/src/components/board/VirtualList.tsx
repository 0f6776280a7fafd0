// A fixed-row-height virtual list: only the rows in view (plus a few) are in the DOM, so 10k+ rows scroll
// smoothly. It scrolls itself (`scroll="self"`, a column or the table, with a height from CSS) or with the
// page (`scroll="window"`, the phone list). `onRange` says which rows are in view, for loading their pages.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";

interface Props {
  count: number;
  rowHeight: number;
  row: (index: number, style: JSX.CSSProperties) => ComponentChildren;
  onRange: (from: number, to: number) => void;
  scroll?: "self" | "window";
  overscan?: number;
  class?: string;
  testid?: string;
  list?: boolean; // rows are <li>: the body is a <ul>
  label?: string;
  role?: JSX.AriaRole;
}

interface Range {
  from: number;
  to: number;
}

function visible(el: HTMLElement, self: boolean, rowHeight: number, count: number, overscan: number): Range {
  let top: number;
  let height: number;
  if (self) {
    top = el.scrollTop;
    height = el.clientHeight;
  } else {
    const rect = el.getBoundingClientRect();
    top = Math.max(0, -rect.top);
    height = Math.max(0, Math.min(window.innerHeight, rect.bottom) - Math.max(0, rect.top));
  }
  const from = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const to = Math.min(count, Math.ceil((top + height) / rowHeight) + overscan);
  return { from, to: Math.max(from, to) };
}

export function VirtualList({ count, rowHeight, row, onRange, scroll = "self", overscan = 6, ...rest }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [range, setRange] = useState<Range>({ from: 0, to: Math.min(count, 20) });
  const self = scroll === "self";

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    let frame = 0;
    const update = () => {
      frame = 0;
      const next = visible(el, self, rowHeight, count, overscan);
      setRange((prev) => (prev.from === next.from && prev.to === next.to ? prev : next));
    };
    const soon = () => {
      if (!frame) frame = requestAnimationFrame(update);
    };
    update();
    const target: EventTarget = self ? el : window;
    target.addEventListener("scroll", soon, { passive: true });
    window.addEventListener("resize", soon);
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(soon);
    observer?.observe(el);
    return () => {
      if (frame) cancelAnimationFrame(frame);
      target.removeEventListener("scroll", soon);
      window.removeEventListener("resize", soon);
      observer?.disconnect();
    };
  }, [count, rowHeight, self, overscan]);

  useEffect(() => onRange(range.from, range.to), [range.from, range.to, onRange]);

  const Body = rest.list ? "ul" : "div";
  const rows: ComponentChildren[] = [];
  for (let i = range.from; i < Math.min(range.to, count); i++) {
    rows.push(row(i, { position: "absolute", top: `${i * rowHeight}px`, left: 0, right: 0, height: `${rowHeight}px` }));
  }
  return (
    <div ref={ref} class={`vlist ${self ? "vlist-self" : "vlist-window"} ${rest.class ?? ""}`} data-testid={rest.testid}
      role={rest.role} aria-label={rest.label}>
      <Body class="vlist-body" style={{ position: "relative", height: `${count * rowHeight}px` }}>{rows}</Body>
    </div>
  );
}
