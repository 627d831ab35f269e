//! Every command is a one-line delegation: the adapters live in `shell`, the logic in the
//! crates. Argument names are the page's camelCase ones (Tauri maps `on_page` to `onPage`).

use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State, WebviewWindow};

use crate::schedule::AutoBackup;
use crate::shell::Shell;
use crate::signin_window;
use crate::wire::{
    Account, AppError, AppInfo, BackupEvent, BackupRequest, Format, ImportRequest, ListDone,
    ListEvent, PasswordSignIn, Preferences, ScheduleStatus, SessionStatus, SignInWindowEvent,
};

type Result<T> = std::result::Result<T, AppError>;

#[tauri::command]
pub fn app_info(shell: State<'_, Shell>) -> AppInfo {
    shell.app_info()
}

#[tauri::command]
pub async fn session_status(shell: State<'_, Shell>) -> Result<SessionStatus> {
    shell.session_status().await
}

#[tauri::command]
pub async fn sign_in_with_garmin<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    on_event: Channel<SignInWindowEvent>,
) -> Result<Account> {
    let (page, service) = shell.garmin_page();
    let stuck = move |reason| {
        let _ = on_event.send(SignInWindowEvent::Stuck { reason });
    };
    let options = shell.window_options();
    let ticket = signin_window::catch_ticket(&app, &page, service.clone(), &options, stuck).await?;
    shell.exchange_ticket(ticket, &service).await
}

/// Opens Garmin's sign-in page in the person's own browser; answers the address opened.
#[tauri::command]
pub fn open_garmin_in_browser(shell: State<'_, Shell>) -> Result<String> {
    shell.open_garmin_in_browser()
}

/// The address (or ticket) pasted back from the person's own browser, exchanged at once.
#[tauri::command]
pub async fn sign_in_with_pasted_address<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    text: String,
) -> Result<Account> {
    let account = shell.sign_in_with_pasted_address(&text).await?;
    // Signed in another way: Garmin's window, if still open, has nothing left to do.
    signin_window::close(&app);
    Ok(account)
}

#[tauri::command]
pub async fn sign_in_with_password(
    shell: State<'_, Shell>,
    email: String,
    password: String,
    remember: bool,
) -> Result<PasswordSignIn> {
    shell.sign_in_with_password(email, password, remember).await
}

#[tauri::command]
pub async fn submit_code(shell: State<'_, Shell>, code: String) -> Result<Account> {
    shell.submit_code(code).await
}

/// The last sign-in's diagnostic report (statuses, CDN markers, timings; no secrets).
#[tauri::command]
pub fn diagnostic_report(shell: State<'_, Shell>) -> Option<String> {
    shell.diagnostic_report()
}

#[tauri::command]
pub async fn sign_out<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>) -> Result<()> {
    shell.sign_out().await?;
    signin_window::forget_garmin(&app);
    Ok(())
}

#[tauri::command]
pub async fn list_activities(
    shell: State<'_, Shell>,
    folder: Option<String>,
    formats: Vec<Format>,
    on_page: Channel<ListEvent>,
) -> Result<ListDone> {
    shell
        .list_activities(folder, formats, |event| {
            // A page the window can no longer receive is not the listing's failure.
            let _ = on_page.send(event);
        })
        .await
}

#[tauri::command]
pub async fn choose_folder<R: Runtime>(
    window: WebviewWindow<R>,
    shell: State<'_, Shell>,
) -> Result<Option<String>> {
    Ok(shell.picked_folder(crate::dialog::choose_folder(window).await?))
}

// Async so that opening the folder's state (a walk of the folder) stays off the main thread.
#[tauri::command]
pub async fn start_backup<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    request: BackupRequest,
    on_event: Channel<BackupEvent>,
) -> Result<()> {
    shell.start_backup(request, move |event| {
        if let BackupEvent::Finished { summary } = &event {
            crate::schedule::page_run_finished(&app, summary);
        }
        let _ = on_event.send(event);
    })
}

#[tauri::command]
pub async fn choose_export<R: Runtime>(
    window: WebviewWindow<R>,
    unpacked: bool,
) -> Result<Option<String>> {
    crate::dialog::choose_export(window, unpacked).await
}

// Needs no sign-in. Cancelled with `cancel_backup`, as a backup is: one run at a time.
#[tauri::command]
pub async fn start_import(
    shell: State<'_, Shell>,
    request: ImportRequest,
    on_event: Channel<BackupEvent>,
) -> Result<()> {
    shell
        .start_import(request, move |event| {
            let _ = on_event.send(event);
        })
        .await
}

#[tauri::command]
pub fn cancel_backup(shell: State<'_, Shell>) {
    shell.cancel_backup();
}

#[tauri::command]
pub fn open_folder(shell: State<'_, Shell>, path: String) -> Result<()> {
    shell.open_folder(&path)
}

#[tauri::command]
pub fn read_preferences(shell: State<'_, Shell>) -> Preferences {
    shell.read_preferences()
}

#[tauri::command]
pub fn save_preferences(shell: State<'_, Shell>, preferences: Preferences) -> Result<()> {
    shell.save_preferences(preferences)
}

#[tauri::command]
pub fn schedule_status(auto: State<'_, AutoBackup>) -> ScheduleStatus {
    auto.status(chrono::Utc::now())
}

/// "Back up automatically every day": saved, then the tray icon and the start-at-login
/// entry follow.
#[tauri::command]
pub fn set_auto_backup<R: Runtime>(
    app: AppHandle<R>,
    auto: State<'_, AutoBackup>,
    enabled: bool,
) -> Result<ScheduleStatus> {
    auto.set_enabled(enabled)?;
    crate::tray::sync(&app, enabled);
    Ok(auto.status(chrono::Utc::now()))
}
