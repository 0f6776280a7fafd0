import { signal } from "@preact/signals";
import zhDomain from "../../../backend/i18n/zh.json";
import enDomain from "../../../backend/i18n/en.json";
import { ui } from "./ui";
import { workbench } from "./workbench";
import { localTimes } from "../lib/format";

export type Lang = "zh" | "en";
const STORAGE_KEY = "fapiao.lang";

export const catalogs: Record<Lang, Record<string, string>> = {
  zh: { ...zhDomain, ...ui.zh, ...workbench.zh },
  en: { ...enDomain, ...ui.en, ...workbench.en },
};

function initialLang(): Lang {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (saved === "zh" || saved === "en") return saved;
  } catch {
    /* storage blocked: use the default */
  }
  return "zh";
}

export const lang = signal<Lang>(initialLang());

export function setLang(next: Lang): void {
  lang.value = next;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, next);
  } catch {
    /* not persisted; still switched */
  }
  if (typeof document !== "undefined") document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
}

export function format(template: string, params?: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    params && params[name] !== undefined && params[name] !== null ? String(params[name]) : whole,
  );
}

/** Translate a key in the current language; unknown keys fall back to English, then the key. A param that is
 * a moment (the API's ISO time) is written in the viewer's timezone and the language's way. */
export function t(key: string, params?: Record<string, unknown>, language: Lang = lang.value): string {
  const template = catalogs[language][key] ?? catalogs.en[key] ?? key;
  return format(template, localTimes(params, language));
}

/** Whether either catalog has words for this key. */
export function known(key: string): boolean {
  return catalogs[lang.value][key] !== undefined || catalogs.en[key] !== undefined;
}

/** A server error body's message, translated by its stable key (a key this build does not know yet: the
 * server's own translation, `error.message`). */
export function errorText(error: { key: string; params?: Record<string, unknown>; message?: string }): string {
  const key = `error.${error.key}`;
  if (error.message && !known(key)) return error.message;
  const params = { ...error.params };
  // A refused value names its field by key ("total"): say it in words, as the server's message does.
  if (typeof params.field === "string" && known(`field.${params.field}`)) params.field = t(`field.${params.field}`);
  return t(key, params);
}
