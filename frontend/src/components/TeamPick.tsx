// The team picker of the claims list and the dashboard; shown only to someone in more than one team.
import { t } from "../i18n";
import { chooseTeam, financeTeamId } from "../state/finance";
import { user } from "../state/store";

export function TeamPick() {
  const teams = user.value?.teams ?? [];
  if (teams.length < 2) return null;
  return (
    <label class="inline">
      <span class="sr-only">{t("finance.team")}</span>
      <select value={String(financeTeamId.value ?? "")} data-testid="team-pick"
        onChange={(e) => chooseTeam(Number(e.currentTarget.value))}>
        {teams.map((team) => <option key={team.id} value={team.id}>{team.name}</option>)}
      </select>
    </label>
  );
}
