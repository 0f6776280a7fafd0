// Which team the claims list and the dashboard show (a person in several teams picks one; remembered for
// the session). Defaults to the first team GET /api/auth/me lists.
import { computed, signal } from "@preact/signals";
import { user } from "./store";

const chosen = signal<number | null>(null);

export const financeTeamId = computed<number | null>(() => {
  const teams = user.value?.teams ?? [];
  return teams.find((t) => t.id === chosen.value)?.id ?? teams[0]?.id ?? null;
});

export function chooseTeam(id: number): void {
  chosen.value = id;
}
