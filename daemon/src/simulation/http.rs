//! Simulator controls over HTTP, for `egate run --sim` only: inject and clear faults in a
//! simulated door controller or camera (`camera_frozen`: it repeats its last frame), read the
//! controller's physical state (door positions, sensors), and start or end an outage of the
//! simulated border database (`POST`/`DELETE /sim/borderdb/outage`).
//!
//! These routes exist only when `[dangerous] simulation` is on, the switch that also replaces
//! every device by a simulated one; they are never mounted for real hardware. They let tests
//! and acceptance runs drive a fire alarm, a jammed door or a cut link into a running gate
//! at the same Modbus boundary a real controller would report them at.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use axum::Router;
use hardware::door::Input;
use sim::controller::{Fault, SimController};

/// The simulated devices a fault can be injected into, by gate id.
#[derive(Default)]
pub struct Controls {
    /// The door controllers.
    pub controllers: BTreeMap<String, Arc<SimController>>,
    /// The cameras' freeze switches.
    pub cameras: BTreeMap<String, Arc<super::camera::Freezer>>,
}

/// The camera's fault: it repeats its last frame (`super::camera`).
pub const CAMERA_FROZEN: &str = "camera_frozen";

type Shared = Arc<Controls>;

/// The `/sim/...` routes over the bank's simulated controllers and cameras, by gate id, and
/// its simulated border database source.
pub fn router(controls: Controls, source: Arc<super::backends::SimSource>) -> Router {
    let outage = Router::new()
        .route("/sim/borderdb/outage", post(outage_on).delete(outage_off))
        .with_state(source);
    Router::new()
        .route("/sim/gates", get(list))
        .route("/sim/gates/{gate}/state", get(state))
        .route(
            "/sim/gates/{gate}/faults/{fault}",
            post(inject).delete(clear),
        )
        .with_state(Arc::new(controls))
        .merge(outage)
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
        let camera = Arc::new(super::super::camera::Freezer::default());
        let app = router(
            Controls {
                controllers: BTreeMap::from([("g1".to_string(), Arc::new(ctl))]),
                cameras: BTreeMap::from([("g1".to_string(), camera.clone())]),
            },
            Arc::new(super::super::backends::SimSource::new(
                std::time::Duration::ZERO,
            )),
        );
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
}
