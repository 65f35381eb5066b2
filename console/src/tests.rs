//! Tests of the console through its router (no TLS, no sockets) and, for the gate API and the
//! remote link, over real HTTPS on loopback.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use tower::ServiceExt;

use super::auth::{hash_password, upsert_user, Role, UserEntry, Users};
use super::hub::Hub;
use super::*;
use crate::link::{
    GateEvent, GateEventKind, GateLink, GateStatus, LinkError, LocalGate, OfficerRequest, PhotoKind,
};
use audit::AuditLog;
use gate::OfficerCommand;

mod mtls;

const TOKEN: &str = "0123456789abcdef0123456789abcdef-gate-api";

/// Alarm ids for the fresh alarms of the permission test.
static NEXT_ALARM: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn status(id: &str) -> GateStatus {
    GateStatus::idle(id, "not-checked")
}

struct Fixture {
    app: Router,
    state: AppState,
    gates: Vec<Arc<LocalGate>>,
    commands: Vec<tokio::sync::mpsc::UnboundedReceiver<OfficerRequest>>,
    audit_path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn users() -> Users {
    let mut text = String::new();
    for (id, role) in [
        ("olga", Role::Officer),
        ("sam", Role::Supervisor),
        ("tim", Role::Technician),
    ] {
        text = upsert_user(
            &text,
            UserEntry {
                id: id.into(),
                role,
                password_hash: hash_password(&format!("{id}-password")).unwrap(),
            },
        )
        .unwrap();
    }
    Users::parse(&text).unwrap()
}

fn fixture(n: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let audit = Arc::new(Mutex::new(
        AuditLog::open(
            &audit_path,
            "console",
            &audit::AuditKey::from_bytes(&[5; 32]),
        )
        .unwrap(),
    ));
    let mut gates = Vec::new();
    let mut commands = Vec::new();
    let mut links: Vec<Arc<dyn GateLink>> = Vec::new();
    for i in 1..=n {
        let (g, rx) = LocalGate::new(status(&format!("g{i}")));
        links.push(g.clone());
        gates.push(g);
        commands.push(rx);
    }
    let cfg = ConsoleConfig {
        login_max_failures: 3,
        ..Default::default()
    };
    let mut state = AppState::new(Hub::new(links), users(), &cfg, audit);
    state.gate_api_token = Some(Arc::new(zeroize::Zeroizing::new(TOKEN.to_string())));
    Fixture {
        app: router(state.clone()),
        state,
        gates,
        commands,
        audit_path,
        _dir: dir,
    }
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let r = app.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = axum::body::to_bytes(r.into_body(), 1 << 20)
        .await
        .unwrap()
        .to_vec();
    (status, headers, body)
}

fn req(method: &str, path: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(path)
}

fn json_req(method: &str, path: &str, body: &str) -> Request<Body> {
    req(method, path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn get_as(path: &str, cookie: &str) -> Request<Body> {
    req("GET", path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

/// A session for `role` made directly (argon2 is tested on its own): (cookie, csrf).
fn session(f: &Fixture, role: Role) -> (String, String) {
    let (tok, o) = f
        .state
        .sessions
        .create(&format!("{}-1", role.as_str()), role);
    (format!("{SESSION_COOKIE}={tok}"), o.csrf)
}

fn body_for(path: &str) -> &'static str {
    if path.ends_with("/ack") {
        r#"{"comment":"seen"}"#
    } else if path.starts_with("/gate-api") {
        // What a console sent before commands were signed: refused now.
        r#"{"officer":"olga","action":"refer","comment":null}"#
    } else {
        "{}"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_changing_endpoint_refuses_unauthenticated_and_wrong_role_requests() {
    let f = fixture(2);
    let doc = openapi::document();
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            if method == "get" {
                continue;
            }
            let m = method.to_uppercase();
            if path == "/api/login" {
                assert_eq!(op["security"], serde_json::json!([]), "only login is open");
                continue;
            }
            // A fresh unacknowledged alarm and a fresh open referral for every try (a
            // gate's alarm ids are unique); a referral to close is taken by the officer
            // about to close it first.
            let fresh_for = |who: Option<&str>| {
                f.state.hub.ingest(f.gates[0].publish(GateEventKind::Alarm {
                    alarm_id: NEXT_ALARM.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                    reason: "tailgating".into(),
                }));
                let alarm = f.state.hub.alarms()[0].id;
                let referral = f.gates[0].open_referral(referral_detail());
                if let Some(who) = who.filter(|_| path.ends_with("/close")) {
                    f.gates[0].take_referral(referral, who).unwrap();
                }
                path.replace("{gate}", "g1")
                    .replace("{alarm}", &alarm.to_string())
                    .replace("{referral}", &referral.to_string())
            };
            let fresh = || fresh_for(None);
            let concrete = fresh();
            let body = body_for(path);
            if op["x-egate-auth"] == "bearer" {
                let (s, ..) = send(&f.app, json_req(&m, &concrete, body)).await;
                assert_eq!(s, StatusCode::UNAUTHORIZED, "{m} {path} without token");
                for bad in ["Bearer wrong", "Basic x", &format!("Bearer {TOKEN}x")] {
                    let r = req(&m, &concrete)
                        .header(header::CONTENT_TYPE, "application/json")
                        .header(header::AUTHORIZATION, bad)
                        .body(Body::from(body))
                        .unwrap();
                    let (s, ..) = send(&f.app, r).await;
                    assert_eq!(s, StatusCode::UNAUTHORIZED, "{m} {path} with {bad}");
                }
                // The token, and for a command the console's client certificate and a
                // command it signed.
                let console = mtls::TestPki::new().console("console-1");
                let body = if path.ends_with("/commands") {
                    console.signed("g1", "olga", Role::Officer, OfficerCommand::Refer)
                } else {
                    body.to_string()
                };
                let r = req(&m, &concrete)
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                    .extension(console.client_cert())
                    .body(Body::from(body))
                    .unwrap();
                let (s, _, b) = send(&f.app, r).await;
                assert!(
                    s.is_success(),
                    "{m} {path} with the token: {s} {}",
                    String::from_utf8_lossy(&b)
                );
                checked += 1;
                continue;
            }
            let allowed: Vec<Role> = op["x-egate-roles"]
                .as_array()
                .unwrap_or_else(|| panic!("{m} {path} has no x-egate-roles or x-egate-auth"))
                .iter()
                .map(|r| Role::parse(r.as_str().unwrap()).unwrap())
                .collect();
            // 1. No session.
            let (s, ..) = send(&f.app, json_req(&m, &concrete, body)).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{m} {path} unauthenticated");
            // 2. A forged or expired cookie.
            let r = req(&m, &concrete)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::COOKIE, format!("{SESSION_COOKIE}=forged"))
                .header("x-csrf-token", "x")
                .body(Body::from(body))
                .unwrap();
            assert_eq!(send(&f.app, r).await.0, StatusCode::UNAUTHORIZED);
            for role in Role::ALL {
                // 3. A session without (or with a wrong) CSRF token.
                let (cookie, csrf) = session(&f, role);
                for token in [None, Some("wrong")] {
                    let mut r = req(&m, &concrete)
                        .header(header::CONTENT_TYPE, "application/json")
                        .header(header::COOKIE, &cookie);
                    if let Some(t) = token {
                        r = r.header("x-csrf-token", t);
                    }
                    let (s, ..) = send(&f.app, r.body(Body::from(body)).unwrap()).await;
                    assert_eq!(
                        s,
                        StatusCode::FORBIDDEN,
                        "{m} {path} as {role:?}, csrf {token:?}"
                    );
                }
                // 4. The right CSRF token: only the listed roles get through.
                let r = req(&m, &fresh_for(Some(&format!("{}-1", role.as_str()))))
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::COOKIE, &cookie)
                    .header("x-csrf-token", &csrf)
                    .body(Body::from(body))
                    .unwrap();
                let (s, _, b) = send(&f.app, r).await;
                if allowed.contains(&role) {
                    assert!(
                        s.is_success(),
                        "{m} {path} as {role:?}: {s} {}",
                        String::from_utf8_lossy(&b)
                    );
                } else {
                    assert_eq!(s, StatusCode::FORBIDDEN, "{m} {path} as {role:?}");
                }
            }
            checked += 1;
        }
    }
    // 6 commands, logout, alarm ack, and the gate API's command.
    assert!(
        checked >= 9,
        "only {checked} state-changing endpoints found"
    );
    // A technician's refused release never reached the gate; every allowed one was audited.
    let records = audit::read_records(&f.audit_path).unwrap();
    let commands: Vec<&Value> = records
        .iter()
        .filter(|r| r["kind"] == "officer_command")
        .collect();
    assert!(commands.iter().all(|r| r["data"]["officer"].is_string()));
    assert!(!commands.iter().any(|r| r["data"]["role"] == "technician"));
}

fn referral_detail() -> crate::link::ReferralDetail {
    crate::link::ReferralDetail {
        reason: "borderdb_hit".into(),
        source: "sis".into(),
        category: "refusal_of_entry".into(),
        action: "Refuse entry; inform the SIRENE bureau".into(),
        dg1: crate::link::Dg1View {
            document_code: "P".into(),
            issuing_state: "D".into(),
            document_number: "X12345678".into(),
            primary_identifier: "HOLMES".into(),
            secondary_identifier: "SHERLOCK".into(),
            nationality: "D".into(),
            birth_date: "700106".into(),
            sex: "M".into(),
            expiry_date: "340415".into(),
        },
    }
}

fn post_as(path: &str, cookie: &str, csrf: &str) -> Request<Body> {
    req("POST", path)
        .header(header::COOKIE, cookie)
        .header("x-csrf-token", csrf)
        .body(Body::empty())
        .unwrap()
}

/// Issue #18: only the officer handling a border database referral (the one who took it)
/// sees its required action and the passage's DG1; another officer and a technician do not,
/// through the API either; closing it removes the data; the audit records who took and closed
/// it, never the data.
#[tokio::test]
async fn only_the_handling_officer_sees_the_action_and_dg1() {
    let f = fixture(1);
    let id = f.gates[0].open_referral(referral_detail());
    let make = |who: &str, role| {
        let (tok, o) = f.state.sessions.create(who, role);
        (format!("{SESSION_COOKIE}={tok}"), o.csrf)
    };
    let (olga, olga_csrf) = make("olga", Role::Officer);
    let (piet, piet_csrf) = make("piet", Role::Officer);
    let (tim, tim_csrf) = make("tim", Role::Technician);
    let detail = format!("/api/gates/g1/referrals/{id}");
    let take = format!("{detail}/take");
    let close = format!("{detail}/close");
    // Everyone sees that a referral is open; nobody sees its data before one takes it.
    let (s, _, b) = send(&f.app, get_as("/api/referrals", &tim)).await;
    assert_eq!(s, StatusCode::OK);
    let list: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(list["referrals"][0]["id"], id);
    assert_eq!(list["referrals"][0]["reason"], auth::WITHHELD_REASON);
    let (s, ..) = send(&f.app, get_as(&detail, &olga)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A technician may not take it.
    let (s, ..) = send(&f.app, post_as(&take, &tim, &tim_csrf)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Olga takes it and sees the action and DG1, never cached.
    let (s, ..) = send(&f.app, post_as(&take, &olga, &olga_csrf)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, h, b) = send(&f.app, get_as(&detail, &olga)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CACHE_CONTROL], "no-store, max-age=0");
    assert_eq!(h[header::PRAGMA], "no-cache");
    let shown: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(
        shown["referral"]["action"],
        "Refuse entry; inform the SIRENE bureau"
    );
    assert_eq!(shown["referral"]["dg1"]["primary_identifier"], "HOLMES");
    assert_eq!(shown["referral"]["dg1"]["birth_date"], "700106");
    // Piet and Tim get nothing, whatever they try.
    for (who, cookie, csrf) in [("piet", &piet, &piet_csrf), ("tim", &tim, &tim_csrf)] {
        let (s, _, b) = send(&f.app, get_as(&detail, cookie)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        let text = String::from_utf8_lossy(&b);
        assert!(
            !text.contains("HOLMES") && !text.contains("SIRENE"),
            "{who}: {text}"
        );
        for path in [&take, &close] {
            let (s, ..) = send(&f.app, post_as(path, cookie, csrf)).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who} {path}");
        }
        let (_, _, b) = send(&f.app, get_as("/api/referrals", cookie)).await;
        let text = String::from_utf8_lossy(&b);
        assert!(
            !text.contains("HOLMES") && !text.contains("SIRENE"),
            "{who}: {text}"
        );
    }
    // Closed by Olga: gone, for her too.
    let (s, ..) = send(&f.app, post_as(&close, &olga, &olga_csrf)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, ..) = send(&f.app, get_as(&detail, &olga)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let records = audit::read_records(&f.audit_path).unwrap();
    let kinds: Vec<&str> = records.iter().filter_map(|r| r["kind"].as_str()).collect();
    assert!(
        kinds.contains(&"referral_taken") && kinds.contains(&"referral_closed"),
        "{kinds:?}"
    );
    let trail = std::fs::read_to_string(&f.audit_path).unwrap();
    for needle in ["HOLMES", "SHERLOCK", "700106", "X12345678", "SIRENE"] {
        assert!(!trail.contains(needle), "the audit trail holds {needle}");
    }
}

/// Issue #18 must-show 3 (console side): a border database source that stops answering is an
/// alarm naming it; when it answers again the alarm is marked cleared.
#[tokio::test]
async fn a_source_alarm_names_the_source_and_is_cleared_on_recovery() {
    let f = fixture(1);
    let health = |ok: bool| GateEventKind::SourceHealth {
        alarm_id: NEXT_ALARM.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        source: "endpoint".into(),
        ok,
        detail: if ok {
            String::new()
        } else {
            "no answer".into()
        },
    };
    f.state.hub.ingest(f.gates[0].publish(health(false)));
    let alarms = f.state.hub.alarms();
    assert_eq!(alarms.len(), 1);
    assert_eq!(alarms[0].reason, "borderdb_unavailable");
    assert_eq!(alarms[0].source.as_deref(), Some("endpoint"));
    assert_eq!(alarms[0].cleared_ms, None);
    f.state.hub.ingest(f.gates[0].publish(health(true)));
    let alarms = f.state.hub.alarms();
    assert_eq!(alarms.len(), 1, "recovery raises no alarm");
    assert!(alarms[0].cleared_ms.is_some());
    // The API shows both, to technicians too (a source outage is not about a traveller).
    let (tim, _) = session(&f, Role::Technician);
    let (_, _, b) = send(&f.app, get_as("/api/alarms", &tim)).await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["alarms"][0]["source"], "endpoint");
    assert_eq!(v["alarms"][0]["reason"], "borderdb_unavailable");
    assert!(v["alarms"][0]["cleared_ms"].is_u64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_sets_a_strict_cookie_and_is_rate_limited() {
    let f = fixture(1);
    let login = |user: &str, password: &str| {
        let body = serde_json::json!({ "user": user, "password": password }).to_string();
        send(&f.app, json_req("POST", "/api/login", &body))
    };
    let (s, h, b) = login("olga", "olga-password").await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let cookie = h[header::SET_COOKIE].to_str().unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["role"], "officer");
    assert!(v["csrf"].as_str().unwrap().len() >= 40);
    let cookie = cookie.split(';').next().unwrap().to_string();
    let (s, _, b) = send(&f.app, get_as("/api/session", &cookie)).await;
    assert_eq!(s, StatusCode::OK);
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["may"]["commands"].as_array().unwrap().len(), 5);

    // Three failures lock the account, even with the right password afterwards.
    for _ in 0..3 {
        let (s, ..) = login("sam", "nope").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, h, _) = login("sam", "sam-password").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(h.contains_key(header::RETRY_AFTER));
    // Unknown users fail the same way.
    let (s, ..) = login("nobody", "x").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_gets_a_clear_4xx() {
    let f = fixture(1);
    let (cookie, csrf) = session(&f, Role::Supervisor);
    let authed = |m: &str, p: &str, ct: Option<&str>, body: Vec<u8>| {
        let mut r = req(m, p)
            .header(header::COOKIE, &cookie)
            .header("x-csrf-token", &csrf);
        if let Some(ct) = ct {
            r = r.header(header::CONTENT_TYPE, ct);
        }
        r.body(Body::from(body)).unwrap()
    };
    let json = Some("application/json");
    let post = |p: &str, ct: Option<&str>, body: &[u8]| authed("POST", p, ct, body.to_vec());
    let get = |p: &str| authed("GET", p, None, vec![]);
    let refer = "/api/gates/g1/commands/refer";
    let long_comment = format!(r#"{{"comment":"{}"}}"#, "x".repeat(501));
    let too_large = vec![b' '; MAX_BODY + 1];
    let mut cases: Vec<(Request<Body>, StatusCode)> = vec![
        (post(refer, json, b"{nope"), StatusCode::BAD_REQUEST),
        (
            post(refer, json, b"[1,2]"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(refer, json, br#"{"comment":1}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post(refer, Some("text/plain"), b"{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (post(refer, json, &too_large), StatusCode::PAYLOAD_TOO_LARGE),
        (
            post("/api/gates/nope/commands/refer", json, b"{}"),
            StatusCode::NOT_FOUND,
        ),
        (
            post("/api/gates/g1/commands/self_destruct", json, b"{}"),
            StatusCode::NOT_FOUND,
        ),
        (
            post(refer, json, long_comment.as_bytes()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            post("/api/alarms/abc/ack", json, br#"{"comment":"x"}"#),
            StatusCode::NOT_FOUND,
        ),
        (
            post(
                "/api/alarms/99999999999999999999999/ack",
                json,
                br#"{"comment":"x"}"#,
            ),
            StatusCode::NOT_FOUND,
        ),
        (get("/api/gates/%00%ff"), StatusCode::BAD_REQUEST),
        (get("/api/stats?gate=nope"), StatusCode::NOT_FOUND),
        (get("/api/stats?bogus=1"), StatusCode::BAD_REQUEST),
        (get("/api/gates/g1/photo/chip"), StatusCode::NOT_FOUND),
        (get("/api/gates/g1/photo/selfie"), StatusCode::NOT_FOUND),
        (get("/no/such/thing"), StatusCode::NOT_FOUND),
        (
            authed("DELETE", "/api/gates", None, vec![]),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    cases.extend([
        (
            json_req("POST", "/api/login", "{\"user\":1}"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json_req("POST", "/api/login", "\u{0}\u{1}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            req("POST", "/api/login")
                .body(Body::from("user=a&password=b"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ]);
    for (i, (r, want)) in cases.into_iter().enumerate() {
        let (s, h, b) = send(&f.app, r).await;
        assert_eq!(s, want, "case {i}: {}", String::from_utf8_lossy(&b));
        {
            let v: Value = serde_json::from_slice(&b)
                .unwrap_or_else(|_| panic!("case {i}: not JSON: {}", String::from_utf8_lossy(&b)));
            assert!(v["error"].is_string(), "case {i}");
        }
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
    // Alarm acknowledgement needs a comment.
    f.state.hub.ingest(f.gates[0].publish(GateEventKind::Alarm {
        alarm_id: 3,
        reason: "pad_alarm".into(),
    }));
    let ack = format!("/api/alarms/{}/ack", f.state.hub.alarms()[0].id);
    for body in [&b"{}"[..], br#"{"comment":"  "}"#] {
        let (s, ..) = send(&f.app, authed("POST", &ack, json, body.to_vec())).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_reach_the_driver_loop_and_are_audited_with_the_officer() {
    let mut f = fixture(2);
    let (cookie, csrf) = session(&f, Role::Officer);
    let r = req("POST", "/api/gates/g2/commands/lane_close")
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"comment":"cleaning\u0007 lane 2"}"#))
        .unwrap();
    let (s, ..) = send(&f.app, r).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let cmd = f.commands[1].try_recv().unwrap();
    assert_eq!(cmd.officer, "officer-1");
    assert_eq!(cmd.action, OfficerCommand::LaneClose);
    assert_eq!(cmd.comment.as_deref(), Some("cleaning lane 2"));
    assert!(f.commands[0].try_recv().is_err());
    let records = audit::read_records(&f.audit_path).unwrap();
    let rec = records
        .iter()
        .rev()
        .find(|r| r["kind"] == "officer_command")
        .unwrap();
    assert_eq!(rec["data"]["officer"], "officer-1");
    assert_eq!(rec["data"]["gate"], "g2");
    assert_eq!(rec["data"]["action"], "lane_close");
    assert!(
        matches!(audit::verify_file(&f.audit_path, &audit::AuditKey::from_bytes(&[5; 32])), Ok(r) if r.broken.is_none())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_are_no_store_and_not_for_technicians() {
    let f = fixture(1);
    f.gates[0].set_photo(PhotoKind::Chip, Some(vec![0xFF, 0xD8, 0xFF, 0xD9]));
    let (cookie, _) = session(&f, Role::Officer);
    let (s, h, b) = send(&f.app, get_as("/api/gates/g1/photo/chip", &cookie)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b, vec![0xFF, 0xD8, 0xFF, 0xD9]);
    assert!(h[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("no-store"));
    assert_eq!(h[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(h[header::PRAGMA], "no-cache");
    let (cookie, _) = session(&f, Role::Technician);
    let (s, ..) = send(&f.app, get_as("/api/gates/g1/photo/chip", &cookie)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    f.gates[0].set_photo(PhotoKind::Chip, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_lists_every_route() {
    let f = fixture(1);
    let (s, _, b) = send(
        &f.app,
        req("GET", "/api/openapi.json").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["openapi"], "3.1.0");
    let paths = v["paths"].as_object().unwrap();
    // Every documented GET answers something other than "no such endpoint" when logged in.
    let (cookie, _) = session(&f, Role::Supervisor);
    for (path, item) in paths {
        if item.get("get").is_none() || path.ends_with("/events") {
            continue;
        }
        let concrete = path.replace("{gate}", "g1").replace("{kind}", "chip");
        let r = req("GET", &concrete)
            .header(header::COOKIE, &cookie)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap();
        let (s, _, b) = send(&f.app, r).await;
        let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
        assert_ne!(
            v["error"], "not_found",
            "{path} is documented but not routed ({s})"
        );
    }
}

/// One HTTPS request to `addr` with the TLS configuration the remote link builds for `entry`:
/// the answer's status, or the error with all its causes.
async fn handshake(
    entry: &remote::GateEntry,
    addr: std::net::SocketAddr,
) -> Result<StatusCode, String> {
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(remote::tls_config(entry, true, None).unwrap())
        .no_proxy()
        .build()
        .unwrap();
    match client.get(format!("https://{addr}/")).send().await {
        Ok(resp) => Ok(StatusCode::from_u16(resp.status().as_u16()).unwrap()),
        Err(e) => {
            let mut text = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                text.push_str(": ");
                text.push_str(&c.to_string());
                cause = c.source();
            }
            Err(text)
        }
    }
}

/// A gate daemon with 8 gates serves the gate API over HTTPS; a console reaches them through
/// 8 [`remote::RemoteGate`]s pinned to its certificate: events arrive, commands get through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_console_over_the_gate_api_with_8_gates() {
    let ids: Vec<String> = (1..=8).map(|i| format!("g{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let pki = mtls::TestPki::new();
    let mut d = mtls::gate_daemon(&ids, Some(&pki)).await;
    let (cert_file, key_file) = pki.console("console-1").write(d.dir.path());
    let mut remotes = Vec::new();
    for i in 1..=8 {
        let entry = remote::GateEntry {
            id: format!("g{i}"),
            url: format!("https://{}", d.console.addr),
            token_file: d.token_file.clone(),
            fingerprint: Some(d.console.fingerprint.clone()),
            client_cert_file: Some(cert_file.clone()),
            client_key_file: Some(key_file.clone()),
        };
        remotes.push(remote::RemoteGate::connect(&entry).unwrap());
    }
    // Wait until every link is up.
    let deadline = Instant::now() + Duration::from_secs(20);
    while remotes.iter().any(|r| GateLink::status(&**r).is_err()) {
        assert!(Instant::now() < deadline, "remote links did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut subs: Vec<_> = remotes.iter().map(|r| GateLink::subscribe(&**r)).collect();
    let mut worst = Duration::ZERO;
    for (i, g) in d.gates.iter().enumerate() {
        let t = Instant::now();
        g.set_status(|s| s.phase = "reading_chip".into());
        g.publish(GateEventKind::Phase {
            phase: "reading_chip".into(),
            step: "reading chip".into(),
        });
        let ev = tokio::time::timeout(Duration::from_secs(5), subs[i].recv())
            .await
            .expect("event within 5 s")
            .unwrap();
        worst = worst.max(t.elapsed());
        assert_eq!(ev.gate, format!("g{}", i + 1));
        assert_eq!(
            GateLink::status(&*remotes[i]).unwrap().phase,
            "reading_chip"
        );
    }
    assert!(
        worst < Duration::from_secs(1),
        "gate → remote console took {worst:?}"
    );
    GateLink::command(
        &*remotes[4],
        OfficerRequest {
            officer: "olga".into(),
            role: Role::Officer,
            action: OfficerCommand::Refer,
            comment: None,
        },
    )
    .unwrap();
    let cmd = tokio::time::timeout(Duration::from_secs(5), d.commands[4].recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cmd.officer, "olga");
    assert_eq!(cmd.role, Role::Officer);
    // A photo of the passage in progress crosses the link; none outside a passage.
    d.gates[2].set_photo(PhotoKind::Live, Some(vec![1, 2, 3]));
    let r = Arc::clone(&remotes[2]);
    let got = tokio::task::spawn_blocking(move || GateLink::photo(&*r, PhotoKind::Live))
        .await
        .unwrap();
    assert_eq!(got, Some(vec![1, 2, 3]));
    let r = Arc::clone(&remotes[3]);
    let got = tokio::task::spawn_blocking(move || GateLink::photo(&*r, PhotoKind::Chip))
        .await
        .unwrap();
    assert_eq!(got, None);
    // The wrong pin: the right fingerprint with its last byte changed, so the pin is the only
    // difference from the links above. The handshake fails at the pin check, with its error.
    let mut wrong = d.console.fingerprint.clone();
    let flipped = if wrong.ends_with("00") { "01" } else { "00" };
    wrong.replace_range(wrong.len() - 2.., flipped);
    let entry = |fingerprint: &str| remote::GateEntry {
        id: "g1".into(),
        url: format!("https://{}", d.console.addr),
        token_file: d.token_file.clone(),
        fingerprint: Some(fingerprint.into()),
        client_cert_file: None,
        client_key_file: None,
    };
    let right_pin = handshake(&entry(&d.console.fingerprint), d.console.addr).await;
    assert!(right_pin.is_ok(), "{right_pin:?}");
    let wrong_pin = handshake(&entry(&wrong), d.console.addr).await;
    match &wrong_pin {
        Err(e) if e.contains("gate certificate does not match the pinned fingerprint") => {}
        other => panic!("wrong pin: expected the pin-mismatch error, got {other:?}"),
    }
    // A remote link with that pin never comes up, through several reconnection attempts
    // (200, 400, 800 ms apart) while the links with the right pin stay up.
    let bad = remote::RemoteGate::connect(&entry(&wrong)).unwrap();
    let until = Instant::now() + Duration::from_millis(1600);
    while Instant::now() < until {
        match GateLink::status(&*bad) {
            Err(LinkError::Unreachable(id, _)) => assert_eq!(id, "g1"),
            other => panic!("a link with the wrong pin: {other:?}"),
        }
        assert!(GateLink::status(&*remotes[0]).is_ok());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    d.stop().await;
}

#[tokio::test]
async fn a_disabled_console_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ConsoleConfig {
        enabled: false,
        ..Default::default()
    };
    let audit = Arc::new(Mutex::new(
        AuditLog::open(
            &dir.path().join("audit.jsonl"),
            "g",
            &audit::AuditKey::from_bytes(&[5; 32]),
        )
        .unwrap(),
    ));
    let env = Env {
        audit,
        simulation: true,
        state_dir: dir.path().to_path_buf(),
        json_logs: false,
        gates_write_here: true,
    };
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let (gate, _commands) = LocalGate::new(status("g1"));
    let c = start_for_daemon(&[gate], &cfg, env, rx).await.unwrap();
    assert!(c.is_none());
}

/// The venv interpreter that holds the independent checkers' packages (scripts/setup.sh).
fn venv_python() -> std::path::PathBuf {
    let assets = std::env::var_os("EGATE_ASSETS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/opt/egate".into());
    let py = assets.join("venv/bin/python");
    assert!(
        py.exists(),
        "{} not found: run scripts/setup.sh (it installs scripts/requirements-test.txt)",
        py.display()
    );
    py
}

/// One answer for tests/independent/openapi_check.py.
fn answer(
    method: &str,
    path: &str,
    url: &str,
    s: StatusCode,
    h: &header::HeaderMap,
    b: &[u8],
) -> Value {
    serde_json::json!({
        "method": method,
        "path": path,
        "url": url,
        "status": s.as_u16(),
        "content_type": h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        "body": std::str::from_utf8(b).ok(),
    })
}

/// The OpenAPI document and the router agree both ways, found by asking the router (not the
/// route table the document is built from): every documented operation is answered by a
/// route, every other method on a documented path and every undocumented API path prefix
/// is not. The answers (with and without credentials, for an unknown gate too) are then
/// checked by tests/independent/openapi_check.py: the document with openapi-spec-validator,
/// each status and media type against the document, each JSON body with jsonschema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_and_router_agree_both_ways_and_answers_match_it() {
    let f = fixture(2);
    let (s, _, b) = send(
        &f.app,
        req("GET", "/api/openapi.json").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let doc: Value = serde_json::from_slice(&b).unwrap();
    let paths = doc["paths"].as_object().unwrap().clone();
    let (cookie, csrf) = session(&f, Role::Supervisor);
    f.gates[0].set_photo(PhotoKind::Live, Some(vec![0xFF, 0xD8, 0xFF, 0xD9]));
    f.state.hub.ingest(f.gates[0].publish(GateEventKind::Alarm {
        alarm_id: 1,
        reason: "tailgating".into(),
    }));
    let alarm = f.state.hub.alarms()[0].id.to_string();
    let concrete = |p: &str, gate: &str| {
        p.replace("{gate}", gate)
            .replace("{kind}", "live")
            .replace("{alarm}", &alarm)
            .replace("{action}", "refer")
    };
    // Every credential at once, so that what the router answers is about the route.
    let full = |method: &str, url: &str, body: &str| {
        req(method, url)
            .header(header::COOKIE, &cookie)
            .header("x-csrf-token", &csrf)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    // The fallback's "not_found" and axum's 405 are the router saying "no such route".
    let routed = |s: StatusCode, b: &[u8]| {
        let v: Value = serde_json::from_slice(b).unwrap_or(Value::Null);
        !(s == StatusCode::NOT_FOUND && v["error"] == "not_found")
            && s != StatusCode::METHOD_NOT_ALLOWED
    };
    let mut answers = Vec::new();
    let mut operations = 0;
    // Logging out ends the session the other requests use: last.
    let mut order: Vec<&String> = paths.keys().filter(|p| *p != "/api/logout").collect();
    order.extend(paths.keys().filter(|p| *p == "/api/logout"));
    for path in order {
        let item = &paths[path];
        let url = concrete(path, "g1");
        // POST last: on /api/logout it ends the session.
        for m in ["GET", "PUT", "DELETE", "PATCH", "POST"] {
            let documented = item.get(m.to_lowercase()).is_some();
            let body = if m == "GET" { "" } else { body_for(path) };
            if documented && m == "GET" && path.ends_with("/events") {
                // An endless event stream: its status and media type only.
                let r = f.app.clone().oneshot(full(m, &url, body)).await.unwrap();
                assert_eq!(r.status(), StatusCode::OK, "{m} {path}");
                answers.push(answer(m, path, &url, r.status(), r.headers(), &[]));
                operations += 1;
                continue;
            }
            let (s, h, b) = send(&f.app, full(m, &url, body)).await;
            assert_eq!(
                routed(s, &b),
                documented,
                "{m} {path}: the router answers {s}, the document {}",
                if documented { "has it" } else { "does not" }
            );
            if !documented {
                continue;
            }
            operations += 1;
            answers.push(answer(m, path, &url, s, &h, &b));
            // Without credentials, and for a gate that does not exist: documented answers too.
            if path != "/api/logout" && !path.ends_with("/events") {
                let (s, h, b) = send(&f.app, json_req(m, &url, body)).await;
                answers.push(answer(m, path, &url, s, &h, &b));
                if path.contains("{gate}") {
                    let other = concrete(path, "g9");
                    let (s, h, b) = send(&f.app, full(m, &other, body)).await;
                    answers.push(answer(m, path, &other, s, &h, &b));
                }
            }
        }
    }
    // API paths the document does not list (the documented paths' own prefixes) are not routed.
    let (cookie, csrf) = session(&f, Role::Supervisor);
    for path in paths.keys() {
        let segments: Vec<&str> = path.split('/').collect();
        for n in 2..segments.len() {
            let prefix = segments[..n].join("/");
            if paths.contains_key(&prefix) {
                continue;
            }
            let url = concrete(&prefix, "g1");
            for m in ["GET", "POST"] {
                let r = req(m, &url)
                    .header(header::COOKIE, &cookie)
                    .header("x-csrf-token", &csrf)
                    .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from("{}"))
                    .unwrap();
                let (s, _, b) = send(&f.app, r).await;
                assert!(
                    !routed(s, &b),
                    "{m} {prefix} is routed ({s}) but not documented"
                );
            }
        }
    }
    assert!(operations >= 15, "only {operations} documented operations");
    // Routes exist only through the route table (routes.rs, which the document is built from)
    // and, for the page's own files, ui.rs: no other `.route(` anywhere in the crate, and in
    // ui.rs one per file of the page, so that an API route added there is not missed.
    let assets = ["/", "/app.js", "/app.css"];
    let mut ui_routes = 0;
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let file = entry.unwrap().path();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".rs") || name == "tests.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            if !line.contains(".route(") && !line.contains(".route_service(") {
                continue;
            }
            match name.as_str() {
                "routes.rs" => assert!(
                    line.contains("self.router.route(path, route)"),
                    "{name}:{}: a route outside Group::add: {line}",
                    i + 1
                ),
                "ui.rs" => ui_routes += 1,
                _ => panic!("{name}:{}: a route outside the route table: {line}", i + 1),
            }
        }
    }
    assert_eq!(
        ui_routes,
        assets.len(),
        "ui.rs registers routes other than the page's files {assets:?}"
    );
    for asset in assets {
        let (s, h, _) = send(&f.app, req("GET", asset).body(Body::empty()).unwrap()).await;
        assert_eq!(s, StatusCode::OK, "{asset}");
        assert!(!h[header::CONTENT_TYPE].to_str().unwrap().contains("json"));
    }
    // A failed login, the one open state-changing operation.
    let (s, h, b) = send(
        &f.app,
        json_req("POST", "/api/login", r#"{"user":"sam","password":"wrong"}"#),
    )
    .await;
    answers.push(answer("POST", "/api/login", "/api/login", s, &h, &b));

    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("recording.json");
    std::fs::write(
        &recording,
        serde_json::to_vec(&serde_json::json!({ "document": doc, "answers": answers })).unwrap(),
    )
    .unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/independent/openapi_check.py");
    let out = std::process::Command::new(venv_python())
        .arg(&script)
        .arg(&recording)
        .output()
        .expect("run openapi_check.py");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(out.status.success(), "openapi_check.py:\n{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok ")).count(),
        answers.len(),
        "{text}"
    );
}

/// The next line of a child's output, within 20 s.
async fn next_line(lines: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(20), lines.recv())
        .await
        .expect("the script answers within 20 s")
        .expect("the script ended early")
}

/// The gate API's event stream read by sseclient-py (tests/independent/sse_events.py), an SSE
/// parser this project did not write, over HTTPS pinned to the console's certificate: each
/// published event arrives whole and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_api_event_stream_parses_with_an_independent_sse_client() {
    use std::io::BufRead;

    let d = mtls::gate_daemon(&["g1"], None).await;
    let g = Arc::clone(&d.gates[0]);
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/independent/sse_events.py");
    let mut child = std::process::Command::new(venv_python())
        .arg(&script)
        .arg(format!(
            "https://{}{}/events",
            d.console.addr,
            routes::GATE_API_PREFIX
        ))
        .arg(TOKEN)
        .arg(&d.console.fingerprint)
        .arg("3")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run sse_events.py");
    let (line_tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if line_tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    assert_eq!(next_line(&mut lines).await, "READY");
    let published = [
        g.publish(GateEventKind::Phase {
            phase: "reading_chip".into(),
            step: "reading chip: \"DG2\"".into(),
        }),
        g.publish(GateEventKind::Alarm {
            alarm_id: 7,
            reason: "tailgating".into(),
        }),
        g.publish(GateEventKind::Lane {
            open: false,
            out_of_service: true,
        }),
    ];
    for want in published {
        let line = next_line(&mut lines).await;
        let data = line
            .strip_prefix("EVENT message ")
            .unwrap_or_else(|| panic!("not an SSE message event: {line}"));
        let got: GateEvent = serde_json::from_str(data).unwrap();
        assert_eq!(got, want);
    }
    let code = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(code.success(), "sse_events.py: {code}");
    d.stop().await;
}

/// The fixture's sessions replaced by ones that go idle after `idle`.
fn with_idle(mut f: Fixture, idle: Duration) -> Fixture {
    f.state.sessions = Arc::new(auth::Sessions::new(Duration::from_secs(3600), idle));
    f.app = router(f.state.clone());
    f
}

/// Issue #17, must-show 4: the page's polls do not keep a session alive, an officer's action
/// does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_expires_while_the_page_keeps_polling() {
    let f = with_idle(fixture(1), Duration::from_millis(600));
    let (polled, _) = session(&f, Role::Officer);
    let (acting, csrf) = session(&f, Role::Officer);
    let start = Instant::now();
    let mut polled_status = Vec::new();
    while start.elapsed() < Duration::from_millis(1500) {
        let (s, _, _) = send(&f.app, get_as("/api/gates", &polled)).await;
        polled_status.push((start.elapsed(), s));
        let act = req("POST", "/api/gates/g1/commands/refer")
            .header(header::COOKIE, &acting)
            .header("x-csrf-token", &csrf)
            .body(Body::empty())
            .unwrap();
        let (s, _, b) = send(&f.app, act).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&b));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(polled_status[0].1, StatusCode::OK);
    let last = polled_status.last().unwrap();
    assert_eq!(last.1, StatusCode::UNAUTHORIZED, "{polled_status:?}");
    // The acting officer's session is still alive after 1.5 s of 0.6 s idle time.
    let (s, _, _) = send(&f.app, get_as("/api/session", &acting)).await;
    assert_eq!(s, StatusCode::OK);
}

/// Issue #17, must-show 4: an open event stream ends when its session is logged out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_event_stream_ends_at_logout() {
    use futures_util::StreamExt;
    let f = fixture(1);
    let (cookie, csrf) = session(&f, Role::Officer);
    let r = f
        .app
        .clone()
        .oneshot(get_as("/api/events", &cookie))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mut body = r.into_body().into_data_stream();
    // The stream is open: an event arrives.
    f.state.hub.ingest(f.gates[0].publish(GateEventKind::Alarm {
        alarm_id: 7,
        reason: "tailgating".into(),
    }));
    let first = tokio::time::timeout(Duration::from_secs(5), body.next())
        .await
        .expect("an event within 5 s");
    assert!(first.is_some_and(|c| c.is_ok()));
    let logout = req("POST", "/api/logout")
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .body(Body::empty())
        .unwrap();
    let (s, _, _) = send(&f.app, logout).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the event stream is still open 5 s after logout"
    );
}

/// Issue #17, item 8: a technician sees neither why a traveller was referred nor what an
/// officer wrote; an officer sees both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn technicians_see_no_referral_reasons_or_comments() {
    let f = fixture(1);
    f.state.hub.ingest(f.gates[0].publish(GateEventKind::Alarm {
        alarm_id: 3,
        reason: "borderdb_hit".into(),
    }));
    f.state.hub.ingest(f.gates[0].publish(GateEventKind::Alarm {
        alarm_id: 4,
        reason: "door_fault".into(),
    }));
    let id = f.state.hub.alarms()[0].id;
    f.state
        .hub
        .ack(id, "officer-1", "called the border police")
        .unwrap();
    let (tech, _) = session(&f, Role::Technician);
    let (officer, _) = session(&f, Role::Officer);
    let (s, _, b) = send(&f.app, get_as("/api/alarms", &tech)).await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(b).unwrap();
    assert!(!text.contains("borderdb"), "{text}");
    assert!(!text.contains("border police"), "{text}");
    assert!(text.contains("door_fault"), "{text}");
    assert!(text.contains(auth::WITHHELD_REASON), "{text}");
    let (_, _, b) = send(&f.app, get_as("/api/alarms", &officer)).await;
    let text = String::from_utf8(b).unwrap();
    assert!(
        text.contains("borderdb_hit") && text.contains("border police"),
        "{text}"
    );
}

/// Issue #17, item 8: an acknowledgement the audit trail cannot record is refused and the
/// alarm stays unacknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_is_acknowledged_only_once_its_record_is_written() {
    let f = fixture(1);
    f.state.hub.ingest(f.gates[0].publish(GateEventKind::Alarm {
        alarm_id: 5,
        reason: "tailgating".into(),
    }));
    let id = f.state.hub.alarms()[0].id;
    let (cookie, csrf) = session(&f, Role::Officer);
    f.state.audit.close();
    let ack = req("POST", &format!("/api/alarms/{id}/ack"))
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"comment":"sent them back"}"#))
        .unwrap();
    let (s, _, b) = send(&f.app, ack).await;
    assert_eq!(
        s,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        String::from_utf8_lossy(&b)
    );
    assert!(f.state.hub.alarms()[0].ack.is_none());
}
