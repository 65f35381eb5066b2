//! Simulator controls over HTTP, for `egate run --sim` only: inject and clear faults in a
//! simulated door controller, and read its physical state (door positions, sensors).
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
use hardware::door::{DoorId, Input};
use sim::controller::{Fault, SimController};

type Controls = Arc<BTreeMap<String, Arc<SimController>>>;

/// The `/sim/...` routes over the bank's simulated controllers, by gate id.
pub fn router(controllers: BTreeMap<String, Arc<SimController>>) -> Router {
    Router::new()
        .route("/sim/gates", get(list))
        .route("/sim/gates/{gate}/state", get(state))
        .route(
            "/sim/gates/{gate}/faults/{fault}",
            post(inject).delete(clear),
        )
        .with_state(Arc::new(controllers))
}

/// A fault by its URL name.
pub fn fault(name: &str) -> Option<Fault> {
    Some(match name {
        "fire_alarm" => Fault::FireAlarm,
        "mains_lost" => Fault::MainsLost,
        "emergency_button" => Fault::EmergencyButton,
        "tamper" => Fault::Tamper,
        "silence" => Fault::Silence,
        "link_cut" => Fault::LinkCut,
        "corrupt_replies" => Fault::CorruptReplies,
        "noise_bursts" => Fault::NoiseBursts,
        "jammed_entry" => Fault::JammedDoor(DoorId::Entry),
        "jammed_exit" => Fault::JammedDoor(DoorId::Exit),
        _ => return None,
    })
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
    let Some(f) = fault(name) else {
        return not_found(
            "no such fault (fire_alarm, mains_lost, emergency_button, tamper, silence, \
             link_cut, corrupt_replies, noise_bursts, jammed_entry, jammed_exit)",
        );
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
    use super::fault;

    #[test]
    fn every_documented_fault_name_maps() {
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
            assert!(fault(n).is_some(), "{n}");
        }
        assert!(fault("../etc").is_none());
    }
}
