//! The daily automatic backup in the app: the switch, the remembered history
//! (`schedule.json` beside the preferences), the loop that asks the engine's schedule
//! (`gcexport_backup::schedule`) when to run, the run itself with the saved sign-in only, and
//! the notifications. The rules live in the crate; this file only adapts.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Local, Utc};
use gcexport_backup::schedule::{
    Decision, Need, Notice, Outcome, Schedule, ScheduleState, Waiting, describe_last,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::prefs::write_replacing;
use crate::shell::Shell;
use crate::wire::{AppError, BackupEvent, BackupRequest, ScheduleStatus, SessionStatus, Summary};

const FILE: &str = "schedule.json";
/// The page refreshes its header on this event.
pub const CHANGED_EVENT: &str = "schedule-changed";
/// The longest nap between two looks at the wall clock. Tokio's timers follow the monotonic
/// clock, which stands still while the computer sleeps: looking every few minutes is how a
/// wake after a missed day is noticed.
const MAX_NAP: StdDuration = StdDuration::from_secs(5 * 60);
const SIGN_IN_NAP: StdDuration = StdDuration::from_secs(3);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct Saved {
    /// "Back up automatically every day": off until the person turns it on.
    enabled: bool,
    #[serde(flatten)]
    state: ScheduleState,
}

/// The app's daily backup: managed state, one per app.
pub struct AutoBackup {
    path: PathBuf,
    saved: Mutex<Saved>,
    schedule: Schedule,
    /// Wakes the loop: the switch changed, "Back up now", the person signed in again.
    wake: tokio::sync::Notify,
    /// "Back up now" from the tray: run whatever the schedule says.
    forced: std::sync::atomic::AtomicBool,
    /// What the person was told this session (the tests read it; the OS keeps the rest).
    told: Mutex<Vec<Notice>>,
}

impl AutoBackup {
    pub fn new(config_dir: &Path) -> Self {
        let path = config_dir.join(FILE);
        // Unreadable history gives a fresh one: at worst one extra backup, which adds nothing.
        let saved = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        AutoBackup {
            path,
            saved: Mutex::new(saved),
            schedule: Schedule::default(),
            wake: tokio::sync::Notify::new(),
            forced: std::sync::atomic::AtomicBool::new(false),
            told: Mutex::new(Vec::new()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Saved) -> T) -> Result<T, AppError> {
        let mut saved = self
            .saved
            .lock()
            .map_err(|_| AppError::unexpected("the schedule's state was poisoned"))?;
        let before = saved.clone();
        let out = f(&mut saved);
        if *saved != before {
            let text = serde_json::to_string_pretty(&*saved)
                .map_err(|e| AppError::unexpected(format!("schedule: {e}")))?;
            write_replacing(&self.path, text.as_bytes()).map_err(|e| {
                AppError::unexpected(format!("could not save {}: {e}", self.path.display()))
            })?;
        }
        Ok(out)
    }

    pub fn enabled(&self) -> bool {
        self.saved.lock().map(|s| s.enabled).unwrap_or(false)
    }

    pub fn set_enabled(&self, enabled: bool) -> Result<(), AppError> {
        self.with(|s| s.enabled = enabled)?;
        self.wake.notify_one();
        Ok(())
    }

    pub fn status(&self, now: DateTime<Utc>) -> ScheduleStatus {
        let saved = self.saved.lock().map(|s| s.clone()).unwrap_or_default();
        let decision = saved.state.decide(&self.schedule, now, &Local);
        let (next_check, waiting_for) = match decision {
            _ if !saved.enabled => (None, None),
            Decision::RunNow => (Some(now.timestamp_millis()), None),
            Decision::Wait { until, why } => (
                until.map(|u| u.timestamp_millis()),
                match why {
                    Waiting::NextSlot | Waiting::Retry => None,
                    Waiting::Paused => Some("paused"),
                    Waiting::Refused => Some("garmin"),
                    Waiting::Person(Need::SignIn) => Some("sign_in"),
                    Waiting::Person(Need::Folder) => Some("folder"),
                    Waiting::Person(Need::DiskSpace) => Some("disk_space"),
                }
                .map(str::to_owned),
            ),
        };
        ScheduleStatus {
            enabled: saved.enabled,
            last_backup: saved
                .state
                .last_success
                .map(|t| describe_last(t, saved.state.last_new, now, &Local)),
            last_success: saved.state.last_success.map(|t| t.timestamp_millis()),
            next_check,
            waiting_for,
        }
    }

    /// What the loop should do now.
    pub fn decide(&self, now: DateTime<Utc>) -> Decision {
        let forced = self.forced.swap(false, std::sync::atomic::Ordering::SeqCst);
        match self.saved.lock() {
            Ok(_) if forced => Decision::RunNow,
            Ok(s) if s.enabled => s.state.decide(&self.schedule, now, &Local),
            _ => Decision::Wait {
                until: None,
                why: Waiting::NextSlot,
            },
        }
    }

    /// Records how a run ended (automatic or from the page); returns what to tell.
    pub fn record(&self, at: DateTime<Utc>, outcome: Outcome) -> Option<Notice> {
        self.with(|s| s.state.record(at, outcome))
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the schedule's history was not saved");
                None
            })
    }

    fn told(&self, notice: Notice) {
        if let Ok(mut told) = self.told.lock() {
            told.push(notice);
        }
    }

    /// What was notified since the app started (runs from the page notify nothing).
    pub fn notices_told(&self) -> Vec<Notice> {
        self.told.lock().map(|t| t.clone()).unwrap_or_default()
    }

    pub fn pause_for_a_day(&self, now: DateTime<Utc>) -> Result<(), AppError> {
        self.with(|s| s.state.pause_for_a_day(now))?;
        self.wake.notify_one();
        Ok(())
    }

    /// The person signed in again or chose a folder: a run waiting for them may go.
    pub fn person_acted(&self) {
        if self.with(|s| s.state.person_acted()).is_ok() {
            self.wake.notify_one();
        }
    }

    /// "Back up now": a run at once, whatever the schedule says.
    pub fn back_up_now(&self) {
        self.forced.store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }
}

/// How a finished run ends for the schedule.
pub fn outcome_of(summary: &Summary) -> Outcome {
    match &summary.stopped {
        None if summary.cancelled => Outcome::Failed,
        None => Outcome::Done {
            new_activities: summary.activities_new,
        },
        Some(e) => outcome_of_error(e),
    }
}

fn outcome_of_error(e: &AppError) -> Outcome {
    match e {
        AppError::RateLimited { until, .. } => Outcome::Refused {
            until: DateTime::from_timestamp_millis(*until),
        },
        AppError::Forbidden { .. } => Outcome::Refused { until: None },
        AppError::TokensExpired { .. } | AppError::NotSignedIn { .. } => {
            Outcome::NeedsPerson { need: Need::SignIn }
        }
        AppError::DiskFull { .. } => Outcome::NeedsPerson {
            need: Need::DiskSpace,
        },
        AppError::FolderUnusable { .. } | AppError::FolderRefused { .. } => {
            Outcome::NeedsPerson { need: Need::Folder }
        }
        _ => Outcome::Failed,
    }
}

/// One automatic run: the saved folder, the saved sign-in (never a password), the saved
/// formats. Waits for the run's end.
pub async fn run_once(shell: &Shell) -> Outcome {
    let prefs = shell.read_preferences();
    let Some(folder) = prefs.folder.clone() else {
        return Outcome::NeedsPerson { need: Need::Folder };
    };
    // A missing folder is an unplugged drive or a moved folder: creating it anew would
    // write onto the bare mount point.
    if !Path::new(&folder).is_dir() {
        return Outcome::NeedsPerson { need: Need::Folder };
    }
    match shell.session_status().await {
        Ok(SessionStatus::SignedIn { .. }) => {}
        Ok(SessionStatus::SignedOut { .. }) => return Outcome::NeedsPerson { need: Need::SignIn },
        Err(e) => return outcome_of_error(&e),
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<Summary>();
    let tx = Mutex::new(Some(tx));
    // The same request the page sends for "Back up", from the saved preferences: the same
    // formats, tracks, and parts (activities, health data).
    let request = BackupRequest {
        folder,
        formats: prefs.formats,
        layout: prefs.layout,
        concurrency: prefs.concurrency,
        garmin_tracks: prefs.garmin_tracks,
        what: prefs.what,
        ..BackupRequest::default()
    };
    let started = shell.start_backup(request, move |event| {
        if let BackupEvent::Finished { summary } = event
            && let Some(tx) = tx.lock().ok().and_then(|mut t| t.take())
        {
            let _ = tx.send(summary);
        }
    });
    if let Err(e) = started {
        return match e {
            // The person's own run is going: it is recorded when it ends.
            AppError::BackupRunning { .. } => Outcome::Failed,
            other => outcome_of_error(&other),
        };
    }
    match rx.await {
        Ok(summary) => outcome_of(&summary),
        Err(_) => Outcome::Failed,
    }
}

/// Runs one automatic backup, records it, tells the person what matters.
pub async fn run_and_record<R: Runtime>(app: &AppHandle<R>) {
    let (Some(shell), Some(auto)) = (app.try_state::<Shell>(), app.try_state::<AutoBackup>())
    else {
        return;
    };
    tracing::info!("the daily backup starts");
    let outcome = run_once(&shell).await;
    tracing::info!(?outcome, "the daily backup ended");
    if let Some(notice) = auto.record(Utc::now(), outcome) {
        auto.told(notice);
        notify(app, &shell, notice);
    }
    let _ = app.emit(CHANGED_EVENT, ());
}

/// A run the page started ends: it counts for the day too (never twice a day).
pub fn page_run_finished<R: Runtime>(app: &AppHandle<R>, summary: &Summary) {
    if let Some(auto) = app.try_state::<AutoBackup>() {
        // The page shows its own summary: no notification for a run the person watched.
        let _ = auto.record(Utc::now(), outcome_of(summary));
        let _ = app.emit(CHANGED_EVENT, ());
    }
}

fn notify<R: Runtime>(app: &AppHandle<R>, shell: &Shell, notice: Notice) {
    let folder = shell.read_preferences().folder.unwrap_or_default();
    let (title, body) = match notice {
        Notice::NewActivities { count: 1 } => (
            "1 new activity backed up".to_owned(),
            format!("Saved in {folder}."),
        ),
        Notice::NewActivities { count } => (
            format!("{count} new activities backed up"),
            format!("Saved in {folder}."),
        ),
        Notice::Needs { need: Need::SignIn } => (
            "Sign in to keep backing up".to_owned(),
            "Your Garmin sign-in expired. Open Garmin Connect Export and sign in again; the \
             daily backup waits until then."
                .to_owned(),
        ),
        Notice::Needs { need: Need::Folder } => (
            "The backup folder is missing".to_owned(),
            format!(
                "{folder} is not there (an unplugged drive?). Plug it in or choose another \
                 folder; the daily backup tries again tomorrow."
            ),
        ),
        Notice::Needs {
            need: Need::DiskSpace,
        } => (
            "The backup disk is full".to_owned(),
            format!(
                "There is no room left for {folder}. Free some space; the daily backup tries \
                 again tomorrow."
            ),
        ),
        Notice::GarminRefusing => (
            "Garmin is refusing for now".to_owned(),
            "Garmin is not answering requests from this computer for the moment. Nothing is \
             lost; the daily backup tries again tomorrow."
                .to_owned(),
        ),
    };
    tracing::info!(%title, "notification");
    use tauri_plugin_notification::NotificationExt;
    // Absent in the IPC tests, which run without the plugins.
    if app
        .try_state::<tauri_plugin_notification::Notification<R>>()
        .is_some()
        && let Err(e) = app
            .notification()
            .builder()
            .title(&title)
            .body(&body)
            .show()
    {
        // No notification service (a bare session): the header still says it.
        tracing::warn!(error = %e, "the notification could not be shown");
    }
}

/// The loop of the running app: asks the schedule, naps, runs.
pub fn start<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let Some(auto) = app.try_state::<AutoBackup>() else {
                return;
            };
            let now = Utc::now();
            let decision = auto.decide(now);
            // Signed in again (in the window): the run that waited for it may go.
            if let Decision::Wait {
                why: Waiting::Person(Need::SignIn),
                ..
            } = decision
                && app.try_state::<Shell>().is_some_and(|s| s.has_session())
            {
                auto.person_acted();
                continue;
            }
            match decision {
                Decision::RunNow => {
                    run_and_record(&app).await;
                    continue;
                }
                Decision::Wait { until, why } => {
                    // Waiting for a sign-in is a look at memory: often, so that the backup
                    // follows soon after the person signs in.
                    let longest = match why {
                        Waiting::Person(Need::SignIn) => SIGN_IN_NAP,
                        _ => MAX_NAP,
                    };
                    let nap = until
                        .and_then(|u| (u - now).to_std().ok())
                        .unwrap_or(longest)
                        .min(longest);
                    tokio::select! {
                        () = tokio::time::sleep(nap) => {}
                        () = auto.wake.notified() => {}
                    }
                }
            }
        }
    });
}
