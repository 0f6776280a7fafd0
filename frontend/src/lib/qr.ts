import type { Invoice } from "../state/types";

/** How the QR code relates to what was read: agrees, disagrees on some field, or absent. */
export function qrAgreement(inv: Invoice): "agrees" | "disagrees" | "none" {
  if (!inv.qr_text || !inv.fields) return "none";
  const fields = Object.values(inv.fields);
  if (fields.some((f) => f.alternatives.some((a) => a.source === "qr"))) return "disagrees";
  return fields.some((f) => f.source?.split("+").includes("qr")) ? "agrees" : "none";
}

/** A field box as percentages of the page, for an overlay that scales with the image. */
export function boxStyle(box: [number, number, number, number], page: [number, number]): Record<string, string> {
  const [w, h] = page;
  const [x0, y0, x1, y1] = box;
  return {
    left: `${(100 * x0) / w}%`,
    top: `${(100 * y0) / h}%`,
    width: `${(100 * (x1 - x0)) / w}%`,
    height: `${(100 * (y1 - y0)) / h}%`,
  };
}
