//! The app under Tauri's real IPC layer with a mock runtime, as the IPC and schedule tests
//! drive it. Each test binary uses a part of it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use garmin_connect_export::{Options, Shell, TokenStoreChoice, setup};
use gcexport_sim::Sim;
use serde_json::{Value, json};
use tauri::Manager;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;

pub struct App {
    pub app: tauri::App<MockRuntime>,
    pub main: tauri::WebviewWindow<MockRuntime>,
}

impl App {
    pub fn new(options: Options) -> App {
        let app = setup(mock_builder(), options)
            .expect("the shell starts")
            .build(tauri::generate_context!())
            .expect("the app builds");
        let main = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("a main window");
        App { app, main }
    }

    /// Against `sim`, with preferences and a token file under `dir`.
    pub fn on(sim: &Sim, dir: &Path) -> App {
        App::new(Options {
            demo: false,
            server_url: Some(sim.base_url().to_owned()),
            config_dir: Some(dir.join("config")),
            token_store: TokenStoreChoice::File(dir.join("tokens.json")),
            demo_port: None,
            ..Options::default()
        })
    }

    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        call_in(&self.main, cmd, args)
    }

    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    pub fn err_kind(&self, cmd: &str, args: Value) -> String {
        let err = self
            .call(cmd, args)
            .expect_err(&format!("{cmd} should fail"));
        err["kind"]
            .as_str()
            .unwrap_or_else(|| panic!("{cmd}: an error without a kind: {err}"))
            .to_owned()
    }

    pub fn shell(&self) -> tauri::State<'_, Shell> {
        self.app.state::<Shell>()
    }

    pub fn sign_in(&self) {
        let out = self.ok(
            "sign_in_with_password",
            json!({"email": "demo@example.com", "password": "demo-password", "remember": true}),
        );
        assert_eq!(out["status"], "signed_in", "{out}");
    }

    pub fn wait_for_backup(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.shell().backup_running() {
            assert!(Instant::now() < deadline, "the backup never finished");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

pub fn call_in(
    webview: &tauri::WebviewWindow<MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}
