// The app's icons, drawn from pwa/icon.svg by resvg (a renderer in an npm package: nothing downloaded, and the
// same SVG always gives the same PNG bytes). The maskable one is the picture shrunk into the 80 % safe zone
// on a full-bleed background, so a launcher's circle or squircle crop never cuts the receipt.
import { Resvg } from "@resvg/resvg-js";

export const THEME = "#b91c1c";

export interface Icon {
  file: string;
  size: number;
  purpose: "any" | "maskable";
  png: Buffer;
}

function render(svg: string, size: number): Buffer {
  return new Resvg(svg, { fitTo: { mode: "width", value: size }, font: { loadSystemFonts: false } }).render().asPng();
}

/** The picture at 80 % in the middle of a square of the theme colour (the maskable safe zone). */
export function maskable(svg: string): string {
  const inner = svg.replace(/^[\s\S]*?<svg[^>]*>/, "").replace(/<\/svg>\s*$/, "");
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512" fill="${THEME}"/>`
    + `<g transform="translate(51.2 51.2) scale(0.8)">${inner}</g></svg>`;
}

export function renderIcons(svg: string): Icon[] {
  return [
    { file: "icons/icon-192.png", size: 192, purpose: "any", png: render(svg, 192) },
    { file: "icons/icon-512.png", size: 512, purpose: "any", png: render(svg, 512) },
    { file: "icons/maskable-512.png", size: 512, purpose: "maskable", png: render(maskable(svg), 512) },
  ];
}

/** The web app manifest: the names in both languages (the launcher shows `short_name`). */
export function manifest(icons: readonly Icon[]): string {
  return JSON.stringify({
    id: "/",
    name: "发票追踪 · Fapiao Tracker",
    short_name: "发票追踪",
    description: "拍照上传发票，自动识别与核对 · Photograph invoices; they are read and checked for you",
    lang: "zh-CN",
    dir: "ltr",
    start_url: "/",
    scope: "/",
    display: "standalone",
    background_color: "#ffffff",
    theme_color: THEME,
    icons: [
      { src: "/icons/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" },
      ...icons.map((i) => ({ src: `/${i.file}`, sizes: `${i.size}x${i.size}`, type: "image/png", purpose: i.purpose })),
    ],
  }, null, 2);
}
