// Renders /api/openapi.json as a list of operations. Plain DOM (textContent only: nothing from the document is
// parsed as HTML); a file of its own so a Content-Security-Policy without 'unsafe-inline' allows it.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete"];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function resolve(doc, node) {
  let out = node;
  while (out && out.$ref) {
    out = out.$ref.replace(/^#\//, "").split("/").reduce((at, key) => (at ? at[key] : undefined), doc);
  }
  return out || {};
}

function bound(n) {
  // JSON numbers past 2^53 arrive rounded (2^62 as 4611686018427388000): say them as the power they are
  return Math.abs(n) >= 2 ** 53 ? `${n < 0 ? "-" : ""}2^${Math.round(Math.log2(Math.abs(n)))}` : String(n);
}

function prose(text) {
  // A docstring: paragraphs, lines within one joined, `code` as code (textContent only, never HTML)
  const out = document.createDocumentFragment();
  for (const para of text.split(/\n\s*\n/)) {
    const p = el("p", { class: "desc" });
    para.replace(/\s*\n\s*/g, " ").split("`").forEach((part, i) => p.append(i % 2 ? el("code", {}, part) : part));
    out.append(p);
  }
  return out;
}

function typeOf(doc, raw) {
  const schema = resolve(doc, raw);
  if (schema.enum) return "one of: " + schema.enum.join(" | ");
  if (schema.type === "array") {
    const limit = schema.maxItems ? `, at most ${schema.maxItems}` : "";
    return `list of ${typeOf(doc, schema.items || {})}${limit}`;
  }
  if (schema.type === "object") {
    const names = Object.keys(schema.properties || {});
    return names.length ? `object {${names.join(", ")}}` : "object";
  }
  let out = schema.format ? `${schema.type} (${schema.format})` : String(schema.type || "any");
  const lo = schema.minimum ?? schema.exclusiveMinimum;
  const hi = schema.maximum ?? schema.exclusiveMaximum;
  if (lo !== undefined || hi !== undefined) out += ` ${lo === undefined ? "…" : bound(lo)} … ${hi === undefined ? "…" : bound(hi)}`;
  if (schema.maxLength) out += `, at most ${schema.maxLength} characters`;
  return out;
}

function rows(doc, entries) {
  const table = el("table", {}, el("tr", {}, el("th", {}, "name"), el("th", {}, "in"), el("th", {}, "type"),
    el("th", {}, "required"), el("th", {}, "about")));
  for (const item of entries) {
    table.append(el("tr", {}, el("td", {}, el("code", {}, item.name)), el("td", {}, item.where),
      el("td", {}, typeOf(doc, item.schema)), el("td", {}, item.required ? "yes" : ""),
      el("td", { class: "muted" }, item.about || "")));
  }
  return table;
}

function bodyEntries(doc, op) {
  const content = (op.requestBody || {}).content || {};
  const out = [];
  for (const [mediaType, media] of Object.entries(content)) {
    const schema = resolve(doc, media.schema);
    const required = new Set(schema.required || []);
    for (const [name, prop] of Object.entries(schema.properties || {})) {
      out.push({ name, where: mediaType === "application/json" ? "body" : "form", schema: prop,
        required: required.has(name), about: prop.description });
    }
  }
  return out;
}

function operation(doc, path, method, op) {
  const perm = op["x-permission"] || "?";
  const entries = (op.parameters || []).map((p) => ({ name: p.name, where: p.in, schema: p.schema,
    required: p.required, about: p.description || (p.schema || {}).description }));
  entries.push(...bodyEntries(doc, op));
  const body = el("div", { class: "body" }, prose(op.description || ""));
  if (entries.length) body.append(rows(doc, entries));
  else body.append(el("p", { class: "muted" }, "No parameters."));
  const item = el("details", {},
    el("summary", {}, el("span", { class: `method ${method}` }, method.toUpperCase()),
      el("span", { class: "path" }, path), el("span", { class: "sum" }, op.summary || ""),
      el("span", { class: perm === "public" ? "perm public" : "perm" }, perm)),
    body);
  item.dataset.search = [method, path, perm, op.summary, op.description].join(" ").toLowerCase();
  return item;
}

function render(doc) {
  document.getElementById("title").textContent = `${doc.info.title} ${doc.info.version}`;
  document.getElementById("intro").textContent = doc.info.description || "";
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      if (!item[method]) continue;
      const tag = (item[method].tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(doc, path, method, item[method]));
    }
  }
  const main = document.getElementById("operations");
  main.replaceChildren();
  for (const [tag, items] of byTag) {
    const section = el("section", {}, el("h2", {}, tag));
    section.append(...items);
    main.append(section);
  }
}

function filterBy(text) {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  for (const section of document.querySelectorAll("section")) {
    let shown = 0;
    for (const item of section.querySelectorAll("details")) {
      const hit = words.every((w) => item.dataset.search.includes(w));
      item.hidden = !hit;
      shown += hit ? 1 : 0;
    }
    section.hidden = shown === 0;
  }
}

fetch("/api/openapi.json", { credentials: "same-origin" })
  .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`HTTP ${res.status}`))))
  .then((doc) => {
    render(doc);
    document.getElementById("filter").addEventListener("input", (e) => filterBy(e.target.value));
  })
  .catch((err) => {
    document.getElementById("operations").textContent = `The description could not be loaded: ${err.message}`;
  });
