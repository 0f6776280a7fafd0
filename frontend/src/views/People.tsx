// People: who is in the teams I manage (a site admin: everyone), in which role, whether they can sign in; a
// new person with a first password or a one-time link; reset, disable and enable (their sessions end at once);
// a role per team, added to or removed from a team. A site admin also makes teams. What shows follows the
// API's rules (backend/api/people.py); the server decides and its refusals show in its words.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api/http";
import { Confirm } from "../components/Confirm";
import { LinkBox } from "../components/LinkBox";
import { errorText, t } from "../i18n";
import { teamsToAdd, withPerson } from "../lib/people";
import { teamsWith, type TeamGrant } from "../lib/perms";
import { refreshed } from "../state/session";
import { user } from "../state/store";
import { ROLES, type OneTimeLink, type Person, type Role, type User } from "../state/types";

const message = (err: unknown) => (err instanceof ApiError ? errorText(err.body) : String(err));
const nameOf = (p: Person) => p.display_name || p.username;

interface Made {
  link: OneTimeLink;
  name: string;
}

export function People() {
  const me = user.value!;
  const managed = teamsWith(me, "manage");
  const [people, setPeople] = useState<Person[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [made, setMade] = useState<Made | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  function reload() {
    api<{ people: Person[] }>("/api/people").then((r) => setPeople(r.people)).catch((err) => setError(message(err)));
  }
  useEffect(reload, []);

  function created(person: Person, link: OneTimeLink | undefined) {
    setPeople((list) => withPerson(list ?? [], person));
    setAdding(false);
    setMade(link ? { link, name: nameOf(person) } : null);
    setNotice(link ? null : t("people.created", { name: nameOf(person) }));
  }

  return (
    <section class="card people" data-testid="people" aria-labelledby="people-title">
      <div class="row between wrap">
        <h2 id="people-title">{t("people.title")}</h2>
        {managed.length > 0 && !adding && (
          <button type="button" class="primary" data-testid="person-new" onClick={() => { setAdding(true); setMade(null); setNotice(null); }}>
            {t("people.new")}
          </button>
        )}
      </div>
      <p class="note">{t(me.is_admin ? "people.hint_site" : "people.hint_team")}</p>
      {adding && <NewPerson teams={managed} siteAdmin={me.is_admin} onCreated={created} onCancel={() => setAdding(false)} />}
      {made && <LinkBox link={made.link} name={made.name} purpose="setup" onClose={() => setMade(null)} />}
      {notice && <p class="notice" role="status" data-testid="people-notice">{notice}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {people === null ? (
        <p class="note">{t("finance.loading")}</p>
      ) : people.length === 0 ? (
        <p class="hint">{t("people.empty")}</p>
      ) : (
        <ul class="people-list" data-testid="people-list">
          {people.map((p) => (
            <PersonCard key={p.id} person={p} me={me} managed={managed} reload={reload}
              onChanged={(next) => setPeople((list) => withPerson(list ?? [], next))} />
          ))}
        </ul>
      )}
      {me.is_admin && <Teams />}
    </section>
  );
}

function NewPerson({ teams, siteAdmin, onCreated, onCancel }: {
  teams: TeamGrant[]; siteAdmin: boolean; onCreated: (p: Person, link?: OneTimeLink) => void; onCancel: () => void;
}) {
  const [username, setUsername] = useState("");
  const [display, setDisplay] = useState("");
  const [teamId, setTeamId] = useState(teams[0]?.id ?? 0);
  const [role, setRole] = useState<Role>("submitter");
  const [admin, setAdmin] = useState(false);
  const [how, setHow] = useState<"link" | "password">("link");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = { username: username.trim(), display_name: display.trim(), team_id: teamId, role,
        ...(how === "password" ? { password } : {}), ...(admin ? { is_admin: true } : {}) };
      const r = await api<{ person: Person; link?: OneTimeLink }>("/api/people", { method: "POST", json: body });
      onCreated(r.person, r.link);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="inline-form person-form" data-testid="person-form" onSubmit={submit} noValidate>
      <h3>{t("people.new")}</h3>
      <div class="row wrap">
        <label>
          {t("login.username")}
          <input value={username} required maxLength={64} autocomplete="off" data-testid="person-username"
            onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          {t("people.display_name")}
          <input value={display} maxLength={128} autocomplete="off" data-testid="person-display"
            onInput={(e) => setDisplay(e.currentTarget.value)} />
        </label>
      </div>
      <div class="row wrap">
        <label>
          {t("people.team")}
          <select value={String(teamId)} data-testid="person-team" onChange={(e) => setTeamId(Number(e.currentTarget.value))}>
            {teams.map((tm) => <option key={tm.id} value={String(tm.id)}>{tm.name}</option>)}
          </select>
        </label>
        <label>
          {t("people.role")}
          <select value={role} data-testid="person-role" onChange={(e) => setRole(e.currentTarget.value as Role)}>
            {ROLES.map((r) => <option key={r} value={r}>{t(`role.${r}`)}</option>)}
          </select>
        </label>
      </div>
      <p class="note">{t(`role.hint.${role}`)}</p>
      {siteAdmin && (
        <label class="check">
          <input type="checkbox" checked={admin} data-testid="person-admin" onChange={(e) => setAdmin(e.currentTarget.checked)} />
          {t("people.make_site_admin")}
        </label>
      )}
      <fieldset class="choices">
        <legend>{t("people.how")}</legend>
        <label class="check">
          <input type="radio" name="how" checked={how === "link"} data-testid="person-how-link" onChange={() => setHow("link")} />
          {t("people.how_link")}
        </label>
        <label class="check">
          <input type="radio" name="how" checked={how === "password"} data-testid="person-how-password" onChange={() => setHow("password")} />
          {t("people.how_password")}
        </label>
      </fieldset>
      {how === "password" && (
        <label>
          {t("people.first_password")}
          <input type="password" value={password} autocomplete="new-password" data-testid="person-password"
            onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
      )}
      {error && <p class="error" role="alert" data-testid="person-error">{error}</p>}
      <div class="row wrap">
        <button type="submit" class="primary" disabled={busy || !username.trim() || !teamId} data-testid="person-create">
          {t(how === "link" ? "people.create_link" : "people.create")}
        </button>
        <button type="button" disabled={busy} onClick={onCancel}>{t("detail.cancel")}</button>
      </div>
    </form>
  );
}

type Ask = { kind: "disable" | "enable" | "reset" } | { kind: "remove"; team: { id: number; name: string } };

function PersonCard({ person, me, managed, onChanged, reload }: {
  person: Person; me: User; managed: TeamGrant[]; onChanged: (p: Person) => void; reload: () => void;
}) {
  const [ask, setAsk] = useState<Ask | null>(null);
  const [link, setLink] = useState<OneTimeLink | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const self = person.id === me.id;
  const name = nameOf(person);
  const mine = new Set(managed.map((tm) => tm.id));
  // The API's rule (api/people._person): a team admin manages a person only when every team of theirs is one
  // the admin manages, and never a site admin; a site admin manages everyone.
  const mayManage = me.is_admin || (!person.is_admin && person.teams.every((tm) => mine.has(tm.id)));

  async function run(call: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await call();
      setAsk(null);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }
  const post = (what: string) => api<{ person?: Person; link?: OneTimeLink }>(`/api/people/${person.id}/${what}`, { method: "POST" });
  const membersChanged = async () => {
    reload();
    if (self) refreshed((await api<{ user: User }>("/api/auth/me")).user); // my own role: the pages follow at once
  };
  const setRole = (teamId: number, role: Role) => run(async () => {
    await api(`/api/teams/${teamId}/members/${person.id}`, { method: "PUT", json: { role } });
    await membersChanged();
  });

  function confirmed() {
    if (!ask) return;
    if (ask.kind === "remove") {
      return run(async () => {
        await api(`/api/teams/${ask.team.id}/members/${person.id}`, { method: "DELETE" });
        await membersChanged();
      });
    }
    return run(async () => {
      const r = await post(ask.kind);
      if (r.person) onChanged(r.person);
      if (r.link) setLink(r.link);
    });
  }

  return (
    <li class={`person${person.disabled ? " off" : ""}`} data-testid="person" data-username={person.username}
      data-disabled={String(person.disabled)}>
      <div class="row between wrap">
        <span class="who">
          <b>{name}</b> {person.display_name && person.display_name !== person.username && <span class="sub mono">{person.username}</span>}
        </span>
        <span class="badges">
          {self && <span class="badge">{t("people.you")}</span>}
          {person.is_admin && <span class="badge site-admin">{t("people.site_admin")}</span>}
          {person.disabled && <span class="badge off" data-testid="person-disabled">{t("people.disabled")}</span>}
          {!person.password_set && <span class="badge nopw" data-testid="person-no-password">{t("people.no_password")}</span>}
        </span>
      </div>
      <ul class="memberships">
        {person.teams.map((tm) => (
          <li key={tm.id} class="row between" data-testid="membership" data-team={tm.name}>
            <span class="team-name">{tm.name}</span>
            <span class="row">
              {mine.has(tm.id) && mayManage ? (
                <select value={tm.role} disabled={busy} data-testid="role-select" aria-label={t("people.role_in", { team: tm.name })}
                  onChange={(e) => setRole(tm.id, e.currentTarget.value as Role)}>
                  {ROLES.map((r) => <option key={r} value={r}>{t(`role.${r}`)}</option>)}
                </select>
              ) : (
                <span class="badge" data-testid="role">{t(`role.${tm.role}`)}</span>
              )}
              {mine.has(tm.id) && (
                <button type="button" class="link" disabled={busy} data-testid="member-remove"
                  onClick={() => setAsk({ kind: "remove", team: tm })}>{t("people.remove")}</button>
              )}
            </span>
          </li>
        ))}
        {person.teams.length === 0 && <li class="note">{t("people.no_team")}</li>}
      </ul>
      {mayManage && <AddToTeam teams={teamsToAdd(person, managed)} busy={busy} onAdd={setRole} />}
      {mayManage && !self && !ask && (
        <div class="row wrap actions">
          {!person.disabled && ( // a disabled person's link would not open (users._live_link): enable first
            <button type="button" disabled={busy} data-testid="person-reset" onClick={() => setAsk({ kind: "reset" })}>
              {t(person.password_set ? "people.reset" : "people.new_link")}
            </button>
          )}
          {person.disabled ? (
            <button type="button" disabled={busy} data-testid="person-enable" onClick={() => setAsk({ kind: "enable" })}>{t("people.enable")}</button>
          ) : (
            <button type="button" disabled={busy} data-testid="person-disable" onClick={() => setAsk({ kind: "disable" })}>{t("people.disable")}</button>
          )}
        </div>
      )}
      {ask && (
        <Confirm busy={busy} onYes={confirmed} onNo={() => setAsk(null)} testid={`confirm-${ask.kind}`}
          yes={t(`people.${ask.kind}_yes`)}>
          {ask.kind === "remove" ? t("people.remove_confirm", { name, team: ask.team.name }) : t(`people.${ask.kind}_confirm`, { name })}
        </Confirm>
      )}
      {link && <LinkBox link={link} name={name} purpose="reset" onClose={() => setLink(null)} />}
      {error && <p class="error" role="alert" data-testid="person-row-error">{error}</p>}
    </li>
  );
}

function AddToTeam({ teams, busy, onAdd }: { teams: TeamGrant[]; busy: boolean; onAdd: (teamId: number, role: Role) => void }) {
  const [open, setOpen] = useState(false);
  const [teamId, setTeamId] = useState(teams[0]?.id ?? 0);
  const [role, setRole] = useState<Role>("submitter");
  if (!teams.length) return null;
  if (!open) {
    return <button type="button" class="link add-team" data-testid="member-add" onClick={() => setOpen(true)}>+ {t("people.add_to_team")}</button>;
  }
  const chosen = teams.find((tm) => tm.id === teamId)?.id ?? teams[0].id;
  return (
    <form class="row wrap add-team-form" data-testid="member-add-form"
      onSubmit={(e) => { e.preventDefault(); onAdd(chosen, role); setOpen(false); }}>
      <select value={String(chosen)} aria-label={t("people.team")} onChange={(e) => setTeamId(Number(e.currentTarget.value))}>
        {teams.map((tm) => <option key={tm.id} value={String(tm.id)}>{tm.name}</option>)}
      </select>
      <select value={role} aria-label={t("people.role")} onChange={(e) => setRole(e.currentTarget.value as Role)}>
        {ROLES.map((r) => <option key={r} value={r}>{t(`role.${r}`)}</option>)}
      </select>
      <button type="submit" class="primary" disabled={busy}>{t("settings.add")}</button>
      <button type="button" onClick={() => setOpen(false)}>{t("detail.cancel")}</button>
    </form>
  );
}

/** A site admin's teams: every team there is, and a new one by name. */
function Teams() {
  const [teams, setTeams] = useState<{ id: number; name: string }[] | null>(null);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ teams: { id: number; name: string }[] }>("/api/teams").then((r) => setTeams(r.teams)).catch((err) => setError(message(err)));
  }, []);
  async function create(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ team: { id: number; name: string } }>("/api/teams", { method: "POST", json: { name: name.trim() } });
      setTeams((list) => [...(list ?? []), r.team]);
      setName("");
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="section teams" data-testid="teams">
      <h3>{t("people.teams")}</h3>
      {teams && (
        <ul class="tags" data-testid="team-list">
          {teams.map((tm) => <li key={tm.id} class="tag">{tm.name}</li>)}
        </ul>
      )}
      <form class="new-claim" onSubmit={create} noValidate>
        <label class="grow">
          <span class="sr-only">{t("people.team_name")}</span>
          <input value={name} maxLength={128} placeholder={t("people.team_name")} data-testid="team-name"
            onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" disabled={busy || !name.trim()} data-testid="team-create">{t("people.team_create")}</button>
        {error && <p class="error" role="alert">{error}</p>}
      </form>
    </div>
  );
}
