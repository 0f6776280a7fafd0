import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { manifest, maskable, renderIcons } from "../pwa/icons";

const svg = readFileSync(new URL("../pwa/icon.svg", import.meta.url), "utf8");

function pngSize(png: Uint8Array): [number, number] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [view.getUint32(16), view.getUint32(20)]; // the IHDR chunk's width and height
}

describe("the app's icons and manifest", () => {
  it("renders 192, 512 and a maskable 512 from the shipped SVG, the same bytes every time", () => {
    const icons = renderIcons(svg);
    expect(icons.map((i) => [i.file, i.purpose, ...pngSize(i.png)])).toEqual([
      ["icons/icon-192.png", "any", 192, 192],
      ["icons/icon-512.png", "any", 512, 512],
      ["icons/maskable-512.png", "maskable", 512, 512],
    ]);
    expect(renderIcons(svg).map((i) => Buffer.from(i.png).toString("base64")))
      .toEqual(icons.map((i) => Buffer.from(i.png).toString("base64")));
  });

  it("the maskable picture sits in the 80 % safe zone on a full-bleed background", () => {
    const out = maskable(svg);
    expect(out).toContain('<rect width="512" height="512" fill="#b91c1c"/>');
    expect(out).toContain("scale(0.8)");
    expect(out.match(/<svg/g)).toHaveLength(1);
  });

  it("the manifest names the app in both languages and lists every icon", () => {
    const m = JSON.parse(manifest(renderIcons(svg)));
    expect(m.name).toContain("发票追踪");
    expect(m.name).toContain("Fapiao Tracker");
    expect(m.display).toBe("standalone");
    expect(m.icons.map((i: { src: string; purpose: string }) => `${i.src} ${i.purpose}`)).toEqual([
      "/icons/icon.svg any", "/icons/icon-192.png any", "/icons/icon-512.png any", "/icons/maskable-512.png maskable",
    ]);
  });
});
