//! Simulator controls over HTTP, for `egate run --sim` only: inject and clear faults in a
//! simulated door controller or camera (`camera_frozen`: it repeats its last frame), read the
//! controller's physical state (door positions, sensors), and start or end an outage of the
//! simulated border database (`POST`/`DELETE /sim/borderdb/outage`).
//! For acceptance runs in real time (`[sim] driven`): hand the bank a traveller
//! (`POST /sim/travellers`, an `acceptance::realtime::Order`), read where each went
//! (`GET /sim/travellers`), read the lanes' phases (`GET /sim/lanes`), and let the simulated
//! officer give a command (`POST /sim/gates/{gate}/officer/{command}`, through the same link
//! as the console's, audited as officer `sim-officer`).
//!
//! These routes exist only when `[dangerous] simulation` is on, the switch that also replaces
//! every device by a simulated one; they are never mounted for real hardware. They let tests
//! and acceptance runs drive a fire alarm, a jammed door or a cut link into a running gate
//! at the same Modbus boundary a real controller would report them at.

use std::collections::BTreeMap;
use std::sync::Arc;

use acceptance::realtime::{LaneView, Order};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use axum::Router;
use console::link::{GateLink, LocalGate, OfficerRequest};
use hardware::door::Input;
use sim::controller::{Fault, SimController};

/// What the `/sim/...` routes act on.
pub struct SimControls {
    /// Each lane's link and simulated controller, in gate order.
    pub lanes: Vec<(Arc<LocalGate>, Arc<SimController>)>,
    /// Each lane's camera freeze switch, in gate order.
    pub cameras: Vec<Arc<super::camera::Freezer>>,
    /// The simulated border database source (its outage switch).
    pub source: Arc<super::backends::SimSource>,
    /// The driven travellers' queue, when `[sim] driven`.
    pub driven: Option<Arc<super::driven::Driven>>,
}

type Lanes = Arc<Vec<(Arc<LocalGate>, Arc<SimController>)>>;

/// The simulated devices a fault can be injected into, by gate id.
struct Controls {
    controllers: BTreeMap<String, Arc<SimController>>,
    cameras: BTreeMap<String, Arc<super::camera::Freezer>>,
}

/// The camera's fault: it repeats its last frame (`super::camera`).
pub const CAMERA_FROZEN: &str = "camera_frozen";

type Shared = Arc<Controls>;

/// The officer id the simulated officer's commands are audited under.
pub const SIM_OFFICER: &str = "sim-officer";

/// The `/sim/...` routes (see the module documentation).
pub fn router(c: SimControls) -> Router {
    let controls = Controls {
        controllers: c
            .lanes
            .iter()
            .map(|(l, ctl)| (l.id_string(), ctl.clone()))
            .collect(),
        cameras: c
            .lanes
            .iter()
            .map(|(l, _)| l.id_string())
            .zip(c.cameras.iter().cloned())
            .collect(),
    };
    let outage = Router::new()
        .route("/sim/borderdb/outage", post(outage_on).delete(outage_off))
        .with_state(c.source);
    let lanes = Router::new()
        .route("/sim/lanes", get(lanes))
        .route("/sim/gates/{gate}/officer/{command}", post(officer))
        .with_state(Arc::new(c.lanes));
    let travellers = Router::new()
        .route("/sim/travellers", post(present).get(travellers))
        .with_state(c.driven);
    Router::new()
        .route("/sim/gates", get(list))
        .route("/sim/gates/{gate}/state", get(state))
        .route(
            "/sim/gates/{gate}/faults/{fault}",
            post(inject).delete(clear),
        )
        .with_state(Arc::new(controls))
        .merge(outage)
        .merge(lanes)
        .merge(travellers)
}

type DrivenState = Option<Arc<super::driven::Driven>>;

fn not_driven() -> Response {
    (
        StatusCode::CONFLICT,
        "the simulated bank makes its own travellers: set [sim] driven = true to hand them in\n",
    )
        .into_response()
}

async fn present(
    State(d): State<DrivenState>,
    order: Result<Json<Order>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Some(d) = d else {
        return not_driven();
    };
    let Json(order) = match order {
        Ok(o) => o,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{}\n", e.body_text())).into_response(),
    };
    match d.push(order) {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, format!("{e}\n")).into_response(),
    }
}

async fn travellers(State(d): State<DrivenState>) -> Response {
    match d {
        Some(d) => Json(d.progress()).into_response(),
        None => not_driven(),
    }
}

async fn lanes(State(l): State<Lanes>) -> Json<Vec<LaneView>> {
    Json(
        l.iter()
            .enumerate()
            .map(|(i, (link, ctl))| {
                let s = ctl.state();
                LaneView {
                    lane: i as u32 + 1,
                    id: link.id_string(),
                    phase: link.status().map(|s| s.phase).unwrap_or_default(),
                    shut: s.door_position[0] <= 0.0 && s.door_position[1] <= 0.0,
                }
            })
            .collect(),
    )
}

async fn officer(
    State(l): State<Lanes>,
    Path((gate, command)): Path<(String, String)>,
) -> Response {
    let Some((link, _)) = l.iter().find(|(link, _)| link.id_string() == gate) else {
        return not_found("no such simulated gate");
    };
    let Some(action) = gate::OfficerCommand::from_name(&command) else {
        let names: Vec<&str> = gate::OfficerCommand::ALL
            .iter()
            .map(|c| c.as_str())
            .collect();
        return not_found(&format!("no such command ({})", names.join(", ")));
    };
    let request = OfficerRequest {
        officer: SIM_OFFICER.into(),
        role: console::auth::Role::Supervisor,
        action,
        comment: Some("the simulated officer of an acceptance run".into()),
    };
    match link.command(request) {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
    }
}

async fn outage_on(State(s): State<Arc<super::backends::SimSource>>) -> StatusCode {
    s.set_outage(true);
    StatusCode::NO_CONTENT
}

async fn outage_off(State(s): State<Arc<super::backends::SimSource>>) -> StatusCode {
    s.set_outage(false);
    StatusCode::NO_CONTENT
}

fn not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, format!("{what}\n")).into_response()
}

async fn list(State(c): State<Shared>) -> Json<Vec<String>> {
    Json(c.controllers.keys().cloned().collect())
}

async fn state(State(c): State<Shared>, Path(gate): Path<String>) -> Response {
    let Some(ctl) = c.controllers.get(&gate) else {
        return not_found("no such simulated gate");
    };
    let s = ctl.state();
    let active: Vec<&str> = Input::ALL
        .iter()
        .filter(|i| s.inputs.contains(**i))
        .map(|i| i.as_str())
        .collect();
    Json(serde_json::json!({
        "gate": gate,
        "entry_position": s.door_position[0],
        "exit_position": s.door_position[1],
        "inputs": active,
        "person_count": s.person_count,
        "fault_code": s.fault_code,
        "comms_lost": s.comms_lost,
    }))
    .into_response()
}

async fn inject(State(c): State<Shared>, Path((gate, name)): Path<(String, String)>) -> Response {
    set(&c, &gate, &name, true)
}

async fn clear(State(c): State<Shared>, Path((gate, name)): Path<(String, String)>) -> Response {
    set(&c, &gate, &name, false)
}

fn set(c: &Controls, gate: &str, name: &str, on: bool) -> Response {
    let Some(ctl) = c.controllers.get(gate) else {
        return not_found("no such simulated gate");
    };
    if name == CAMERA_FROZEN {
        return match c.cameras.get(gate) {
            Some(camera) => {
                camera.set(on);
                StatusCode::NO_CONTENT.into_response()
            }
            None => not_found("no simulated camera on this gate"),
        };
    }
    let Some(f) = Fault::from_name(name) else {
        let mut names: Vec<&str> = Fault::NAMED.iter().filter_map(|f| f.name()).collect();
        names.push(CAMERA_FROZEN);
        return not_found(&format!("no such fault ({})", names.join(", ")));
    };
    if on {
        ctl.inject(f);
    } else {
        ctl.clear(f);
    }
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn post(app: &Router, uri: &str) -> (StatusCode, String) {
        let req = Request::post(uri).body(Body::empty()).expect("request");
        let r = app.clone().oneshot(req).await.expect("answer");
        let status = r.status();
        let body = axum::body::to_bytes(r.into_body(), 4096)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn faults_by_name_and_404s_that_list_them() {
        let ctl = SimController::spawn(sim::controller::SimControllerConfig::default())
            .expect("simulated controller");
        let (link, _commands) = LocalGate::new(console::link::GateStatus::idle("g1", "required"));
        let camera = Arc::new(super::super::camera::Freezer::default());
        let app = router(SimControls {
            lanes: vec![(link, Arc::new(ctl))],
            cameras: vec![camera.clone()],
            source: Arc::new(super::super::backends::SimSource::new(
                std::time::Duration::ZERO,
            )),
            driven: None,
        });
        let (status, body) = post(&app, "/sim/gates/g2/faults/fire_alarm").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, "no such simulated gate\n");
        let (status, body) = post(&app, "/sim/gates/g1/faults/..%2Fetc").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            "no such fault (fire_alarm, mains_lost, emergency_button, tamper, silence, \
             link_cut, corrupt_replies, noise_bursts, jammed_entry, jammed_exit, camera_frozen)\n"
        );
        // Every documented name is a fault.
        for n in [
            "fire_alarm",
            "mains_lost",
            "emergency_button",
            "tamper",
            "silence",
            "link_cut",
            "corrupt_replies",
            "noise_bursts",
            "jammed_entry",
            "jammed_exit",
        ] {
            let (status, _) = post(&app, &format!("/sim/gates/g1/faults/{n}")).await;
            assert_eq!(status, StatusCode::NO_CONTENT, "{n}");
        }
        // The camera's freeze, on and off.
        let (status, _) = post(&app, "/sim/gates/g1/faults/camera_frozen").await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(camera.is_frozen());
        let req = Request::delete("/sim/gates/g1/faults/camera_frozen")
            .body(Body::empty())
            .expect("request");
        let r = app.clone().oneshot(req).await.expect("answer");
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        assert!(!camera.is_frozen());
    }

    async fn send(app: &Router, method: &str, uri: &str, body: &str) -> (StatusCode, String) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        let r = app.clone().oneshot(req).await.expect("answer");
        let status = r.status();
        let body = axum::body::to_bytes(r.into_body(), 1 << 16)
            .await
            .expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    fn app(driven: bool) -> (Router, tokio::sync::mpsc::UnboundedReceiver<OfficerRequest>) {
        let ctl = SimController::spawn(sim::controller::SimControllerConfig::default())
            .expect("simulated controller");
        let (link, commands) = LocalGate::new(console::link::GateStatus::idle("g-1", "required"));
        let app = router(SimControls {
            lanes: vec![(link, Arc::new(ctl))],
            cameras: Vec::new(),
            source: Arc::new(super::super::backends::SimSource::new(
                std::time::Duration::ZERO,
            )),
            driven: driven.then(|| Arc::new(super::super::driven::Driven::default())),
        });
        (app, commands)
    }

    const ORDER: &str = r#"{"id":0,"kind":"impostor","seed":3,"document_s":2.0,"through_door_s":0.9,"walk_away_s":1.2,"patience_s":20.0}"#;

    #[tokio::test]
    async fn travellers_are_handed_in_only_to_a_driven_bank_and_checked() {
        let (plain, _c) = app(false);
        let (status, body) = send(&plain, "POST", "/sim/travellers", ORDER).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body.contains("[sim] driven"));

        let (app, _c) = app(true);
        assert_eq!(
            send(&app, "POST", "/sim/travellers", ORDER).await.0,
            StatusCode::ACCEPTED
        );
        let (status, body) = send(&app, "POST", "/sim/travellers", ORDER).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the same id twice: {body}"
        );
        // Hostile bodies: not JSON, an unknown field, a type the bank cannot present.
        for (body, want) in [
            ("{not json", "JSON"),
            (
                &ORDER.replace("\"seed\"", "\"sneed\"") as &str,
                "unknown field",
            ),
            (
                &ORDER
                    .replace("impostor", "wrong_direction")
                    .replace("\"id\":0", "\"id\":5"),
                "direction sensor",
            ),
        ] {
            let (status, text) = send(&app, "POST", "/sim/travellers", body).await;
            assert!(status.is_client_error(), "{body}: {status}");
            assert!(text.contains(want), "{body}: {text}");
        }
        let (status, body) = send(&app, "GET", "/sim/travellers", "").await;
        assert_eq!(status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v.as_array().map(Vec::len), Some(1));
        assert_eq!(v[0]["place"], "queued");
    }

    #[tokio::test]
    async fn the_simulated_officer_commands_through_the_gate_link() {
        let (app, mut commands) = app(false);
        let (status, body) = send(&app, "GET", "/sim/lanes", "").await;
        assert_eq!(status, StatusCode::OK);
        let lanes: Vec<LaneView> = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (lanes[0].lane, lanes[0].id.as_str(), lanes[0].phase.as_str()),
            (1, "g-1", "idle")
        );
        assert!(lanes[0].shut);
        let (status, _) = send(&app, "POST", "/sim/gates/g-1/officer/lane_open", "").await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let r = commands.recv().await.expect("the driver's command");
        assert_eq!(
            (r.officer.as_str(), r.action),
            (SIM_OFFICER, gate::OfficerCommand::LaneOpen)
        );
        let (status, body) = send(&app, "POST", "/sim/gates/g-1/officer/open_sesame", "").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("lane_open"), "{body}");
        let (status, _) = send(&app, "POST", "/sim/gates/g-2/officer/reset", "").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
