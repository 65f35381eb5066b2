//! The console's request handling on arbitrary requests, through its real router: sessions
//! and CSRF tokens, JSON bodies (comments, alarm acknowledgements), path parameters, the gate
//! API's bearer token and signed commands (with and without a client certificate).
//!
//! Input: byte 0 picks the method, byte 1 which credentials go along (session cookie, CSRF
//! token, bearer token, client certificate, JSON content type), then the path up to the first
//! `\n`, then the body. Never a panic, never a 500; the only 5xx are the documented 502 (gate
//! unreachable) and 503 (audit trail or a limit); every error answer is JSON with an `error`
//! (to HEAD: a JSON content type and no content).
//! The login is left out: its password check (argon2, 19 MiB) would make each run slow; its
//! body parsing is the same `guard::json_body` the other routes use.
#![no_main]
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use console::auth::{Role, Users};
use console::link::{GateLink, GateStatus, LocalGate, PhotoKind};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const TOKEN: &str = "0123456789abcdef0123456789abcdef-fuzz";
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "HEAD"];

struct Fixture {
    rt: tokio::runtime::Runtime,
    app: axum::Router,
    cookie: String,
    csrf: String,
    cert: Arc<Vec<u8>>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // The trail on tmpfs when there is one: each accepted command is fsync'd.
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            std::path::PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = tempfile::Builder::new()
            .prefix("egate-fuzz-console")
            .tempdir_in(base)
            .unwrap()
            .keep();
        let audit = audit::AuditLog::open(
            &dir.join("audit.jsonl"),
            "fuzz",
            &audit::AuditKey::from_bytes(&[9; 32]),
        )
        .unwrap();
        let (app, cookie, csrf) = rt.block_on(async {
            let mut links: Vec<Arc<dyn GateLink>> = Vec::new();
            for id in ["g1", "g2"] {
                let (g, rx) = LocalGate::new(GateStatus::idle(id, "not-checked"));
                g.set_photo(PhotoKind::Live, Some(vec![0xFF, 0xD8, 0xFF, 0xD9]));
                // Commands are taken and dropped, as a gate that ignores them would.
                std::mem::forget(rx);
                links.push(g);
            }
            let cfg = console::ConsoleConfig::default();
            let mut state = console::AppState::new(
                console::hub::Hub::new(links),
                Users::default(),
                &cfg,
                Arc::new(Mutex::new(audit)),
            );
            state.gate_api_token = Some(Arc::new(zeroize::Zeroizing::new(TOKEN.to_string())));
            let (tok, officer) = state.sessions.create("sam", Role::Supervisor);
            (
                console::router(state),
                format!("{}={tok}", console::SESSION_COOKIE),
                officer.csrf,
            )
        });
        let cert = rcgen::generate_simple_self_signed(vec!["console".to_string()]).unwrap();
        Fixture {
            rt,
            app,
            cookie,
            csrf,
            cert: Arc::new(cert.cert.der().to_vec()),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let f = fixture();
    let method = METHODS[data[0] as usize % METHODS.len()];
    let creds = data[1];
    let rest = &data[2..];
    let (path, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(path) = std::str::from_utf8(path) else {
        return;
    };
    if path.starts_with("/api/login") {
        return;
    }
    let mut r = Request::builder().method(method).uri(path);
    if creds & 1 != 0 {
        r = r.header(header::COOKIE, &f.cookie);
    }
    if creds & 2 != 0 {
        r = r.header("x-csrf-token", &f.csrf);
    }
    if creds & 4 != 0 {
        r = r.header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    }
    if creds & 8 != 0 {
        r = r.extension(console::tls::ClientCert(Arc::clone(&f.cert)));
    }
    if creds & 16 != 0 {
        r = r.header(header::CONTENT_TYPE, "application/json");
    }
    let Ok(req) = r.body(Body::from(body.to_vec())) else {
        return;
    };
    f.rt.block_on(async {
        let resp = f.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        assert!(
            !status.is_server_error()
                || status == StatusCode::BAD_GATEWAY
                || status == StatusCode::SERVICE_UNAVAILABLE,
            "{method} {path:?}: {status}"
        );
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        // An event stream never ends: its status is the answer.
        if ct.starts_with("text/event-stream") {
            return;
        }
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 22).await.unwrap();
        // RFC 9110 §9.3.2: the answer to HEAD has the headers of the answer to GET and no
        // content, so its error is told by the status and the content type alone.
        if method == "HEAD" {
            assert!(bytes.is_empty(), "HEAD {path:?}: {status} with content");
            if status.is_client_error() || status.is_server_error() {
                assert!(ct.starts_with("application/json"), "HEAD {path:?}: {status} {ct:?}");
            }
            return;
        }
        if status.is_client_error() || status.is_server_error() {
            let v: serde_json::Value = serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("{method} {path:?}: {status} not JSON"));
            assert!(v["error"].is_string(), "{method} {path:?}: {v}");
        }
    });
});
