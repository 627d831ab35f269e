// The backup card's two buttons and the hint between them, decided from what is ticked, what
// is selected and what the listing found. Pure, for the activities view and its tests.
import { formatCount } from "../format";

export interface CardState {
  /** "Activities" and "Health data" ticked under "Back up". */
  activities: boolean;
  health: boolean;
  /** How many formats are ticked. */
  formats: number;
  folderChosen: boolean;
  /** The listing has finished, so `todo` is every activity's. */
  listed: boolean;
  /** Activities new or failed in the folder. */
  todo: number;
  /** Days of health data to fetch; `null` until known. */
  days: number | null;
  /** Activities selected in the list. */
  selected: number;
}

export interface CardButtons {
  allDisabled: boolean;
  selectedDisabled: boolean;
  hint: string;
}

/** A button that could only fail is disabled, and the hint says what to tick; else what it fetches. */
export function cardButtons(s: CardState): CardButtons {
  const noFormat = s.formats === 0;
  return {
    allDisabled: (s.activities && noFormat) || (!s.activities && !s.health),
    selectedDisabled: noFormat || s.selected === 0,
    hint: backupHint(s, noFormat),
  };
}

function backupHint(s: CardState, noFormat: boolean): string {
  if (!s.activities && !s.health) return "Tick activities, health data or both to back up.";
  if (s.activities && noFormat) return "Tick at least one format to back up.";
  if (!s.folderChosen) return "You'll choose where to save it first.";
  if (!s.listed) return "Only what's new is downloaded.";
  return todoLine(s.activities ? s.todo : null, s.health ? s.days : null);
}

/** What the big button will fetch: "10 activities and 412 days of health data to download." */
export function todoLine(activities: number | null, days: number | null): string {
  const parts: string[] = [];
  if (activities !== null && activities > 0) parts.push(`${formatCount(activities)} ${activities === 1 ? "activity" : "activities"}`);
  if (days !== null && days > 0) parts.push(`${formatCount(days)} ${days === 1 ? "day" : "days"} of health data`);
  if (parts.length === 0) return "Everything is in your backup. Pressing it checks again.";
  return `${parts.join(" and ")} to download. Only what's new is downloaded.`;
}
