//! Simulator controls over HTTP, for `egate run --sim` only: inject and clear faults in a
//! simulated door controller, read its physical state (door positions, sensors), and start
//! or end an outage of the simulated border database (`POST`/`DELETE /sim/borderdb/outage`).
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

type Controls = Arc<BTreeMap<String, Arc<SimController>>>;

/// The `/sim/...` routes over the bank's simulated controllers, by gate id, and its
/// simulated border database source.
pub fn router(
    controllers: BTreeMap<String, Arc<SimController>>,
    source: Arc<super::backends::SimSource>,
) -> Router {
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
        .with_state(Arc::new(controllers))
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

async fn list(State(c): State<Controls>) -> Json<Vec<String>> {
    Json(c.keys().cloned().collect())
}

async fn state(State(c): State<Controls>, Path(gate): Path<String>) -> Response {
    let Some(ctl) = c.get(&gate) else {
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

async fn inject(State(c): State<Controls>, Path((gate, name)): Path<(String, String)>) -> Response {
    set(&c, &gate, &name, true)
}

async fn clear(State(c): State<Controls>, Path((gate, name)): Path<(String, String)>) -> Response {
    set(&c, &gate, &name, false)
}

fn set(c: &Controls, gate: &str, name: &str, on: bool) -> Response {
    let Some(ctl) = c.get(gate) else {
        return not_found("no such simulated gate");
    };
    let Some(f) = Fault::from_name(name) else {
        let names: Vec<&str> = Fault::NAMED.iter().filter_map(|f| f.name()).collect();
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
        let app = router(
            BTreeMap::from([("g1".to_string(), Arc::new(ctl))]),
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
             link_cut, corrupt_replies, noise_bursts, jammed_entry, jammed_exit)\n"
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
    }
}
