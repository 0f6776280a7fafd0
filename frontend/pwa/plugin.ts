// The Vite plugin that makes the build installable: it renders the icons (pwa/icons.ts), writes the manifest,
// and writes dist/sw.js from pwa/sw.js with the build's file list and a version that changes whenever any of
// those files does (the hashed asset names, the icons, the manifest, the worker's own code).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";
import { manifest, renderIcons } from "./icons.ts";

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export function installable(): Plugin {
  return {
    name: "fapiao-installable",
    apply: "build",
    enforce: "post", // after Vite's own: index.html is in the bundle by then
    generateBundle(_options, bundle) {
      const svg = readFileSync(here("./icon.svg"), "utf8");
      const icons = renderIcons(svg);
      const extra: Record<string, string | Uint8Array> = { "icons/icon.svg": svg, "manifest.webmanifest": manifest(icons) };
      for (const icon of icons) extra[icon.file] = icon.png;
      for (const [fileName, source] of Object.entries(extra)) this.emitFile({ type: "asset", fileName, source });

      const built = Object.keys(bundle).filter((f) => !f.endsWith(".map"));
      const files = [...new Set([...built, ...Object.keys(extra)])].filter((f) => f !== "index.html").sort();
      const shell = ["/", ...files.map((f) => `/${f}`)];
      const template = readFileSync(here("./sw.js"), "utf8");
      const hash = createHash("sha256").update(template);
      for (const f of [...files, "index.html"]) {
        const item = bundle[f];
        const source = item ? (item.type === "chunk" ? item.code : item.source) : extra[f];
        if (source !== undefined) hash.update(f).update(source);
      }
      const version = hash.digest("hex").slice(0, 16);
      const source = template.replace("__VERSION__", version).replace("__SHELL__", JSON.stringify(shell));
      this.emitFile({ type: "asset", fileName: "sw.js", source });
    },
  };
}
