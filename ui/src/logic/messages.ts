// Every error kind in plain words: what happened, and what the person can do about it.
// Views branch on `kind` only; the backend's `message` is shown only for the unexpected, and
// for a refused folder and a pasted address without a ticket, whose messages the shell writes
// for people (they name the folder or the paste, and what to do instead).
import type { AppError, ErrorKind, Format, UnavailableReason } from "../wire";

export interface Explained {
  title: string;
  detail: string;
}

/** Why a backup stopped early. A block (Garmin or its CDN refusing this computer) is said
 * in a backup's terms: nothing is lost, and when to try again. */
export function explainStop(err: AppError): Explained {
  if (err.kind !== "rate_limited") return explainError(err);
  const at = new Date(err.until).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return {
    title: "Garmin is refusing requests from this computer for a while, so the backup stopped at once.",
    detail: `Nothing is lost: everything saved so far is complete and kept, and the next backup continues from there. Try again after ${at}.`,
  };
}

/** The kinds whose words never change; the others (below) show the shell's message. */
type FixedKind = Exclude<ErrorKind, "not_a_ticket" | "folder_refused" | "unexpected">;

const TOKENS_EXPIRED: Explained = {
  title: "Please sign in again.",
  detail: "Your saved sign-in has expired. Your backup folder and settings are kept.",
};

const TICKET_REJECTED: Explained = {
  title: "That sign-in didn't go through.",
  detail: "Garmin didn't accept it, which happens when a sign-in takes too long. Please start again.",
};

/** Every fixed kind has its words: the Record makes a new kind without them a type error. */
const FIXED: Record<FixedKind, Explained> = {
  wrong_credentials: {
    title: "That email and password don't match a Garmin account.",
    detail: "Check both and try again. If you forgot your password, reset it on connect.garmin.com, then come back.",
  },
  wrong_code: {
    title: "That code didn't work.",
    detail: "Type the code from Garmin's most recent message. Codes expire after a few minutes.",
  },
  captcha_required: {
    title: "Garmin wants to check that you're not a robot.",
    detail: "This form can't show Garmin's check. Use “Sign in with Garmin” instead: it opens Garmin's own page, which can.",
  },
  account_locked: {
    title: "Your Garmin account is locked.",
    detail: "Garmin locks accounts after too many attempts. Reset your password on connect.garmin.com to unlock it (or wait about an hour), then sign in again.",
  },
  rate_limited: {
    title: "Garmin is limiting sign-ins for a while.",
    detail: "This is Garmin being careful, not a problem with your account.",
  },
  tokens_expired: TOKENS_EXPIRED,
  not_signed_in: TOKENS_EXPIRED,
  sign_in_cancelled: {
    title: "The sign-in window was closed.",
    detail: "Nothing was changed. Press “Sign in with Garmin” to try again.",
  },
  ticket_rejected: TICKET_REJECTED,
  no_pending_code: TICKET_REJECTED,
  offline: {
    title: "Can't reach Garmin.",
    detail: "Check that this computer is connected to the internet, then try again.",
  },
  timeout: {
    title: "Garmin is taking too long to answer.",
    detail: "Their servers may be busy. Try again in a minute.",
  },
  server: {
    title: "Garmin's servers had a problem.",
    detail: "It's on Garmin's side and usually passes. Try again in a few minutes.",
  },
  forbidden: {
    title: "Garmin refused this.",
    detail: "It may belong to another account or have been deleted.",
  },
  disk_full: {
    title: "The disk is full.",
    detail: "Free some space, or choose a folder on another disk, then back up again. Files already saved are complete and kept.",
  },
  folder_unusable: {
    title: "This folder can't be used.",
    detail: "Choose a folder you can write to (for example in your Documents), or close another backup using it.",
  },
  backup_running: {
    title: "A backup is already running.",
    detail: "Wait for it to finish, or cancel it first.",
  },
  not_an_export: {
    title: "This isn't a Garmin data export.",
    detail: "Choose the ZIP file from Garmin's “Export Your Data” email (or the folder you unpacked it to). Its name usually ends in .zip.",
  },
  export_damaged: {
    title: "The export can't be read completely.",
    detail: "It may have been cut short while downloading. Download it again from Garmin's email, then import it again; what was saved is kept.",
  },
  cancelled: { title: "Stopped.", detail: "Everything saved so far is complete and kept." },
};

export function explainError(err: AppError): Explained {
  switch (err.kind) {
    case "not_a_ticket":
      return {
        title: "That is not the address we need.",
        detail: err.message,
      };
    case "folder_refused":
      return {
        title: "The backup can't go into this folder.",
        detail: err.message.trim() !== "" ? err.message : "Choose a folder of your own with “Choose…”.",
      };
    case "unexpected":
      return {
        title: "Something unexpected happened.",
        detail: err.message ? `Try again. Details: ${err.message}` : "Please try again.",
      };
    default:
      return { ...FIXED[err.kind] };
  }
}

/** The sentence to show at the folder field, when the error is about the folder typed there. */
export function folderFieldProblem(err: AppError | null): string | null {
  return err?.kind === "folder_refused" ? explainError(err).detail : null;
}

export const FORMAT_LABELS: Record<Format, string> = {
  original: "Original (FIT)",
  gpx: "GPX",
  tcx: "TCX",
  kml: "KML",
  json: "Details (JSON)",
};

export function explainUnavailable(reason: UnavailableReason): string {
  switch (reason) {
    case "no_track":
      return "Recorded without GPS, so there is no track to export.";
    case "manual":
      return "Entered by hand: there was never a file.";
    case "uploaded_track":
      return "Uploaded as a file of another format, which Garmin doesn't convert.";
    case "not_offered":
      return "Garmin doesn't offer this format for this kind of activity.";
    case "not_in_export":
      return "Your export has no file for it.";
  }
}
