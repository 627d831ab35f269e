import { describe, expect, it } from "vitest";
import { cardButtons, todoLine, type CardState } from "./backupcard";

const ready: CardState = { activities: true, health: true, formats: 1, folderChosen: true, listed: true, todo: 10, days: 412, selected: 0 };

describe("cardButtons", () => {
  it("says what the big button fetches once everything is known", () => {
    expect(cardButtons(ready)).toEqual({ allDisabled: false, selectedDisabled: true, hint: "10 activities and 412 days of health data to download. Only what's new is downloaded." });
    expect(cardButtons({ ...ready, health: false }).hint).toBe("10 activities to download. Only what's new is downloaded.");
    expect(cardButtons({ ...ready, activities: false }).hint).toBe("412 days of health data to download. Only what's new is downloaded.");
  });
  it("disables what could only fail, and says what to tick", () => {
    const nothing = cardButtons({ ...ready, activities: false, health: false, selected: 3 });
    expect(nothing).toMatchObject({ allDisabled: true, selectedDisabled: false, hint: "Tick activities, health data or both to back up." });
    const noFormat = cardButtons({ ...ready, formats: 0, selected: 3 });
    expect(noFormat).toMatchObject({ allDisabled: true, selectedDisabled: true, hint: "Tick at least one format to back up." });
  });
  it("lets health data go without a format", () => {
    expect(cardButtons({ ...ready, activities: false, formats: 0 }).allDisabled).toBe(false);
  });
  it("asks for a folder before counting, and counts only once the listing is done", () => {
    expect(cardButtons({ ...ready, folderChosen: false, listed: false }).hint).toBe("You'll choose where to save it first.");
    expect(cardButtons({ ...ready, listed: false }).hint).toBe("Only what's new is downloaded.");
  });
  it("enables Back up selected once something is selected", () => {
    expect(cardButtons({ ...ready, selected: 1 }).selectedDisabled).toBe(false);
  });
});

describe("todoLine", () => {
  it("says one or many, and that pressing checks again when nothing is left", () => {
    expect(todoLine(1, 1)).toBe("1 activity and 1 day of health data to download. Only what's new is downloaded.");
    expect(todoLine(0, null)).toBe("Everything is in your backup. Pressing it checks again.");
    expect(todoLine(null, 0)).toBe("Everything is in your backup. Pressing it checks again.");
  });
});
