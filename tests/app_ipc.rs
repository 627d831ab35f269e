//! The desktop shell's commands through Tauri's real IPC layer, without a display. The
//! context is the app's own (its capabilities included), so a command the capability file
//! does not grant fails here as it would in the app.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use garmin_connect_export::{Options, setup};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;

fn invoke(demo: bool, cmd: &str) -> serde_json::Value {
    let app = setup(mock_builder(), Options { demo })
        .build(tauri::generate_context!())
        .expect("the app builds");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("a main window");
    let response = get_ipc_response(
        &webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::default(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .expect("the command answers");
    response.deserialize::<serde_json::Value>().unwrap()
}

#[test]
fn app_info_reports_version_and_demo_mode() {
    let info = invoke(false, "app_info");
    assert_eq!(info["name"], "Garmin Connect Export");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["demo"], false);
    assert_eq!(invoke(true, "app_info")["demo"], true);
}
