// People as the people page shows them: one person's row replaced in the list after a change, the teams a
// person could still be added to, and a browser's name from its user agent. Pure (tests/people.test.ts).
import type { Person } from "../state/types";
import type { TeamGrant } from "./perms";

/** The list with this person's row replaced (or added, in name order as the server sorts it). */
export function withPerson(list: readonly Person[], person: Person): Person[] {
  const rest = list.filter((p) => p.id !== person.id);
  return [...rest, person].sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
}

/** Teams I manage that this person is not in yet (where I could add them). */
export function teamsToAdd(person: Person, managed: readonly TeamGrant[]): TeamGrant[] {
  const theirs = new Set(person.teams.map((t) => t.id));
  return managed.filter((t) => !theirs.has(t.id));
}

/** A session's browser in words: "Chrome 120 · Linux"; unknown agents as they are, cut short. */
export function browserOf(ua: string | null | undefined): string {
  if (!ua) return "";
  const browser =
    match(ua, /Edg\/(\d+)/, "Edge") ?? match(ua, /Firefox\/(\d+)/, "Firefox") ?? match(ua, /MicroMessenger\/(\d+)/, "WeChat")
    ?? match(ua, /(?:Chrome|Chromium|CriOS)\/(\d+)/, "Chrome") ?? match(ua, /Version\/(\d+)[\d.]* .*Safari/, "Safari");
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad|iOS/.test(ua) ? "iOS" : /Windows/.test(ua) ? "Windows"
    : /Mac OS X|Macintosh/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : null;
  if (!browser && !os) return ua.length > 60 ? `${ua.slice(0, 57)}…` : ua;
  return [browser, os].filter(Boolean).join(" · ");
}

function match(ua: string, re: RegExp, name: string): string | null {
  const m = re.exec(ua);
  return m ? `${name} ${m[1]}` : null;
}
