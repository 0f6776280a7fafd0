// The invoice's page as a workbench: zoom (fit-to-width is 1), pan by dragging or scrolling, rotate in
// quarter turns, and the field boxes on it; the selected field's box is highlighted and brought into view.
// The boxes are in % of the page, so they stay on their print at every zoom and rotation.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { t } from "../../i18n";
import { boxStyle } from "../../lib/qr";
import type { Invoice } from "../../state/types";

export const ZOOMS = [0.5, 0.75, 1, 1.5, 2, 3, 4];

export interface ViewerState {
  zoom: number;
  rotation: number; // 0, 90, 180, 270
}

export function stepZoom(zoom: number, dir: 1 | -1): number {
  const i = ZOOMS.findIndex((z) => z >= zoom);
  const at = i < 0 ? ZOOMS.length - 1 : i;
  return ZOOMS[Math.max(0, Math.min(ZOOMS.length - 1, at + dir))];
}

/** The page's size on screen (the turned page's width is `zoom` × the viewport's) and the unturned one's. */
export function stageSize(width: number, page: [number, number], view: ViewerState) {
  const [pw, ph] = page;
  const turned = view.rotation % 180 !== 0;
  const visualW = width * view.zoom;
  const visualH = turned ? (visualW * pw) / ph : (visualW * ph) / pw;
  const pageW = turned ? visualH : visualW;
  return { visualW, visualH, pageW, pageH: turned ? visualW : visualH };
}

interface Props {
  inv: Invoice;
  page: [number, number];
  fields: readonly string[];
  selected: string | null;
  onSelect: (name: string) => void;
  view: ViewerState;
  onView: (v: ViewerState) => void;
}

export function PageViewer({ inv, page, fields, selected, onSelect, view, onView }: Props) {
  const port = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = port.current;
    if (!el) return;
    const measure = () => {
      setWidth(el.clientWidth);
      // How far down the sticky header reaches: the pinned page sits right under it (styles.css --top-h).
      const top = document.querySelector<HTMLElement>("header.top");
      if (top) document.documentElement.style.setProperty("--top-h", `${top.offsetHeight}px`);
    };
    measure();
    const observer = typeof ResizeObserver !== "undefined" ? new ResizeObserver(measure) : null;
    observer?.observe(el);
    return () => observer?.disconnect();
  }, []);
  useEffect(() => {
    // The selected box into view inside the viewer only (the page around it does not move).
    const el = port.current;
    const box = el?.querySelector<HTMLElement>(".box.selected");
    if (!el || !box) return;
    const p = el.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    const outside = b.left < p.left || b.right > p.right || b.top < p.top || b.bottom > p.bottom;
    if (outside) {
      el.scrollLeft += b.left + b.width / 2 - (p.left + p.width / 2);
      el.scrollTop += b.top + b.height / 2 - (p.top + p.height / 2);
    }
  }, [selected, view.zoom, view.rotation, width]);
  const drag = useRef<{ x: number; y: number; left: number; top: number } | null>(null);
  const size = stageSize(width || 1, page, view);
  return (
    <div class="viewer" data-testid="viewer">
      <div class="viewer-tools row wrap" role="toolbar" aria-label={t("viewer.tools")}>
        <button type="button" data-testid="zoom-out" aria-label={t("viewer.zoom_out")} title={t("viewer.zoom_out")}
          disabled={view.zoom <= ZOOMS[0]} onClick={() => onView({ ...view, zoom: stepZoom(view.zoom, -1) })}>−</button>
        <span class="zoom-level" data-testid="zoom-level">{Math.round(view.zoom * 100)}%</span>
        <button type="button" data-testid="zoom-in" aria-label={t("viewer.zoom_in")} title={t("viewer.zoom_in")}
          disabled={view.zoom >= ZOOMS[ZOOMS.length - 1]} onClick={() => onView({ ...view, zoom: stepZoom(view.zoom, 1) })}>+</button>
        <button type="button" data-testid="zoom-fit" onClick={() => onView({ ...view, zoom: 1 })}>{t("viewer.fit")}</button>
        <button type="button" data-testid="rotate" aria-label={t("viewer.rotate")} title={t("viewer.rotate")}
          onClick={() => onView({ ...view, rotation: (view.rotation + 90) % 360 })}>⟳ {t("viewer.rotate_short")}</button>
      </div>
      <div class="viewport" ref={port} data-testid="viewport"
        onPointerDown={(e) => {
          if ((e.target as HTMLElement).closest("button") || !port.current) return;
          drag.current = { x: e.clientX, y: e.clientY, left: port.current.scrollLeft, top: port.current.scrollTop };
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (!d || !port.current) return;
          port.current.scrollLeft = d.left - (e.clientX - d.x);
          port.current.scrollTop = d.top - (e.clientY - d.y);
        }}
        onPointerUp={() => (drag.current = null)} onPointerLeave={() => (drag.current = null)}>
        <div class="stage" style={{ width: `${size.visualW}px`, height: `${size.visualH}px` }}
          data-testid="stage" data-zoom={view.zoom} data-rotation={view.rotation}>
          <div class="page" data-testid="page"
            style={{ width: `${size.pageW}px`, height: `${size.pageH}px`, transform: `translate(-50%, -50%) rotate(${view.rotation}deg)` }}>
            <img src={`/api/invoices/${inv.id}/preview?v=${inv.version}`} alt={inv.original_name} draggable={false} />
            {fields.map((name) => {
              const f = inv.fields?.[name];
              return f?.box ? (
                <button type="button" key={name} data-testid={`box-${name}`} aria-label={t(`field.${name}`)}
                  aria-pressed={selected === name}
                  class={`box${selected === name ? " selected" : ""}${f.review ? " doubt" : ""}`}
                  style={boxStyle(f.box, page)} onClick={() => onSelect(name)} />
              ) : null;
            })}
          </div>
        </div>
      </div>
    </div>
  );
}
