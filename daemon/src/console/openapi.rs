//! The OpenAPI 3.1 description of the console and gate APIs, served at `/api/openapi.json`.
//!
//! Written by hand beside the router. Each state-changing operation carries
//! `x-egate-roles` (the roles allowed; from the same permission table the handlers use) or
//! `x-egate-auth: "bearer"`, which the tests use to try every one of them with no or the
//! wrong credentials.

use axum::Json;
use serde_json::{json, Value};

use crate::bank::OfficerAction;

use super::api::roles_for_action;
use super::auth::{self, Role};
use super::ALL_ACTIONS;

fn err(desc: &str) -> Value {
    json!({ "description": desc, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn ok_json(desc: &str, schema: Value) -> Value {
    json!({ "description": desc, "content": { "application/json": { "schema": schema } } })
}

fn gate_param() -> Value {
    json!({ "name": "gate", "in": "path", "required": true, "schema": { "type": "string" } })
}

fn roles(rs: &[Role]) -> Value {
    json!(rs.iter().map(|r| r.as_str()).collect::<Vec<_>>())
}

fn action_summary(a: OfficerAction) -> &'static str {
    match a {
        OfficerAction::ReleaseExit => "Open the exit for the traveller in the gate",
        OfficerAction::Refer => "Refer the traveller in the gate to an officer",
        OfficerAction::Reset => "Reset the gate after an emergency or fault",
        OfficerAction::LaneOpen => "Open the lane: take travellers again",
        OfficerAction::LaneClose => "Close the lane after the passage in progress",
        OfficerAction::OutOfService => "Take the gate out of service at once",
    }
}

/// The document.
pub fn document() -> Value {
    let session_only = json!([{ "session": [] }]);
    let session_csrf = json!([{ "session": [], "csrf": [] }]);
    let bearer = json!([{ "bearer": [] }]);
    let mut paths = serde_json::Map::new();
    paths.insert("/api/login".into(), json!({ "post": {
        "operationId": "login", "summary": "Log in; sets the session cookie and returns the CSRF token",
        "security": [],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/LoginRequest" } } } },
        "responses": { "200": ok_json("Logged in", json!({ "$ref": "#/components/schemas/Session" })),
                       "401": err("Wrong user or password"), "429": err("Too many failed logins"),
                       "400": err("Bad JSON"), "415": err("Not JSON"), "413": err("Body too large") }
    }}));
    paths.insert("/api/logout".into(), json!({ "post": {
        "operationId": "logout", "summary": "End the session", "security": session_csrf,
        "x-egate-roles": roles(&Role::ALL),
        "responses": { "204": { "description": "Logged out" }, "401": err("Not logged in"), "403": err("CSRF token missing") }
    }}));
    paths.insert("/api/session".into(), json!({ "get": {
        "operationId": "session", "summary": "Who is logged in, the CSRF token and what the role may do",
        "security": session_only,
        "responses": { "200": ok_json("The session", json!({ "$ref": "#/components/schemas/Session" })), "401": err("Not logged in") }
    }}));
    paths.insert("/api/gates".into(), json!({ "get": {
        "operationId": "listGates", "summary": "Every gate of the bank with its status", "security": session_only,
        "responses": { "200": ok_json("Gates", json!({ "type": "object", "properties": { "gates": { "type": "array", "items": { "$ref": "#/components/schemas/GateEntry" } } } })), "401": err("Not logged in") }
    }}));
    paths.insert("/api/gates/{gate}".into(), json!({ "get": {
        "operationId": "getGate", "summary": "One gate's status", "security": session_only,
        "parameters": [gate_param()],
        "responses": { "200": ok_json("The gate", json!({ "$ref": "#/components/schemas/GateEntry" })), "401": err("Not logged in"), "404": err("Unknown gate"), "502": err("Gate unreachable") }
    }}));
    for a in ALL_ACTIONS {
        let name = serde_json::to_value(a)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        paths.insert(format!("/api/gates/{{gate}}/commands/{name}"), json!({ "post": {
            "operationId": format!("command_{name}"), "summary": action_summary(a),
            "description": "Recorded in the audit trail with the officer's id before it is sent; the gate's answer arrives on the event stream as a `command` event.",
            "security": session_csrf, "x-egate-roles": roles(&roles_for_action(a)),
            "parameters": [gate_param()],
            "requestBody": { "required": false, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CommentRequest" } } } },
            "responses": { "202": ok_json("Sent to the gate", json!({ "type": "object" })),
                           "401": err("Not logged in"), "403": err("Wrong role or CSRF token missing"),
                           "404": err("Unknown gate"), "415": err("Not JSON"), "400": err("Bad JSON"),
                           "502": err("Gate unreachable"), "503": err("Audit trail unavailable: not sent") }
        }}));
    }
    paths.insert("/api/gates/{gate}/photo/{kind}".into(), json!({ "get": {
        "operationId": "photo", "summary": "The chip photo or the live capture of the passage in progress (JPEG, Cache-Control: no-store)",
        "security": session_only, "x-egate-roles": roles(&Role::ALL.into_iter().filter(|r| auth::may_see_photos(*r)).collect::<Vec<_>>()),
        "parameters": [gate_param(), { "name": "kind", "in": "path", "required": true, "schema": { "enum": ["chip", "live"] } }],
        "responses": { "200": { "description": "JPEG", "content": { "image/jpeg": {} } }, "401": err("Not logged in"), "403": err("Wrong role"), "404": err("No passage in progress or unknown gate") }
    }}));
    paths.insert("/api/alarms".into(), json!({ "get": {
        "operationId": "listAlarms", "summary": "The alarm queue, newest first", "security": session_only,
        "responses": { "200": ok_json("Alarms", json!({ "type": "object", "properties": { "alarms": { "type": "array", "items": { "$ref": "#/components/schemas/Alarm" } } } })), "401": err("Not logged in") }
    }}));
    paths.insert("/api/alarms/{alarm}/ack".into(), json!({ "post": {
        "operationId": "ackAlarm", "summary": "Acknowledge an alarm with a comment (audited)",
        "security": session_csrf, "x-egate-roles": roles(&Role::ALL.into_iter().filter(|r| auth::may_ack(*r)).collect::<Vec<_>>()),
        "parameters": [{ "name": "alarm", "in": "path", "required": true, "schema": { "type": "integer" } }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CommentRequest" } } } },
        "responses": { "200": ok_json("Acknowledged", json!({ "type": "object", "properties": { "alarm": { "$ref": "#/components/schemas/Alarm" } } })),
                       "401": err("Not logged in"), "403": err("Wrong role or CSRF token missing"), "404": err("Unknown alarm"),
                       "409": err("Already acknowledged"), "422": err("Comment missing or too long") }
    }}));
    paths.insert("/api/stats".into(), json!({ "get": {
        "operationId": "stats", "summary": "Passages per hour, outcomes, referral reasons and transaction times, for the bank or one gate",
        "security": session_only,
        "parameters": [{ "name": "gate", "in": "query", "required": false, "schema": { "type": "string" } }],
        "responses": { "200": ok_json("Statistics", json!({ "type": "object" })), "401": err("Not logged in"), "404": err("Unknown gate") }
    }}));
    paths.insert("/api/events".into(), json!({ "get": {
        "operationId": "events", "summary": "Server-Sent Events: one JSON PageMessage per message (gate events with the status after them, alarm acknowledgements, resync)",
        "security": session_only,
        "responses": { "200": { "description": "text/event-stream", "content": { "text/event-stream": {} } }, "401": err("Not logged in") }
    }}));
    paths.insert(
        "/api/openapi.json".into(),
        json!({ "get": {
            "operationId": "openapi", "summary": "This document", "security": [],
            "responses": { "200": ok_json("OpenAPI 3.1", json!({ "type": "object" })) }
        }}),
    );
    // The gate API (served only when a token file is configured).
    paths.insert("/gate-api/v1/gates".into(), json!({ "get": {
        "operationId": "gateApiList", "summary": "Gate API: every gate's status", "security": bearer,
        "responses": { "200": ok_json("Statuses", json!({ "type": "object" })), "401": err("Bad token") }
    }}));
    paths.insert("/gate-api/v1/gates/{gate}".into(), json!({ "get": {
        "operationId": "gateApiGet", "summary": "Gate API: one gate's status", "security": bearer, "parameters": [gate_param()],
        "responses": { "200": ok_json("Status", json!({ "$ref": "#/components/schemas/GateStatus" })), "401": err("Bad token"), "404": err("Unknown gate") }
    }}));
    paths.insert("/gate-api/v1/events".into(), json!({ "get": {
        "operationId": "gateApiEvents", "summary": "Gate API: Server-Sent Events, one GateEvent per message", "security": bearer,
        "responses": { "200": { "description": "text/event-stream", "content": { "text/event-stream": {} } }, "401": err("Bad token") }
    }}));
    paths.insert("/gate-api/v1/gates/{gate}/commands".into(), json!({ "post": {
        "operationId": "gateApiCommand", "summary": "Gate API: an officer command, checked by the console; audited here too",
        "security": bearer, "x-egate-auth": "bearer", "parameters": [gate_param()],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/OfficerCommand" } } } },
        "responses": { "202": ok_json("Sent", json!({ "type": "object" })), "401": err("Bad token"), "404": err("Unknown gate"), "422": err("Bad command") }
    }}));
    paths.insert("/gate-api/v1/gates/{gate}/photo/{kind}".into(), json!({ "get": {
        "operationId": "gateApiPhoto", "summary": "Gate API: a photo of the passage in progress (no-store)", "security": bearer,
        "parameters": [gate_param(), { "name": "kind", "in": "path", "required": true, "schema": { "enum": ["chip", "live"] } }],
        "responses": { "200": { "description": "JPEG", "content": { "image/jpeg": {} } }, "401": err("Bad token"), "404": err("No passage") }
    }}));
    let actions: Vec<Value> = ALL_ACTIONS
        .iter()
        .filter_map(|a| serde_json::to_value(a).ok())
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": { "title": "egate console API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "The officers' supervision console of a bank of e-gates, and the gate API a remote console uses. Officers: session cookie + X-CSRF-Token on every state-changing request. Consoles: bearer token." },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": super::SESSION_COOKIE },
                "csrf": { "type": "apiKey", "in": "header", "name": "X-CSRF-Token" },
                "bearer": { "type": "http", "scheme": "bearer" }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error", "message"], "properties": { "error": { "type": "string" }, "message": { "type": "string" } } },
                "LoginRequest": { "type": "object", "required": ["user", "password"], "additionalProperties": false, "properties": { "user": { "type": "string", "maxLength": 64 }, "password": { "type": "string" } } },
                "CommentRequest": { "type": "object", "additionalProperties": false, "properties": { "comment": { "type": ["string", "null"], "maxLength": super::api::MAX_COMMENT } } },
                "Session": { "type": "object", "properties": { "user": { "type": "string" }, "role": { "enum": ["officer", "supervisor", "technician"] }, "csrf": { "type": "string" }, "may": { "type": "object" } } },
                "OfficerAction": { "enum": actions },
                "OfficerCommand": { "type": "object", "required": ["officer", "action"], "properties": { "officer": { "type": "string" }, "action": { "$ref": "#/components/schemas/OfficerAction" }, "comment": { "type": ["string", "null"] } } },
                "DeviceHealth": { "type": "object", "properties": { "device": { "type": "string" }, "ok": { "type": "boolean" }, "detail": { "type": "string" } } },
                "GateStatus": { "type": "object", "properties": {
                    "id": { "type": "string" }, "phase": { "type": "string" }, "step": { "type": "string" }, "elapsed_ms": { "type": "integer" },
                    "lane_open": { "type": "boolean" }, "out_of_service": { "type": "boolean" }, "liveness": { "type": "string" },
                    "devices": { "type": "array", "items": { "$ref": "#/components/schemas/DeviceHealth" } }, "photos_available": { "type": "boolean" },
                    "passages_accepted": { "type": "integer" }, "passages_referred": { "type": "integer" } } },
                "GateEntry": { "type": "object", "properties": { "id": { "type": "string" }, "reachable": { "type": "boolean" }, "status": { "$ref": "#/components/schemas/GateStatus" }, "error": { "type": "string" } } },
                "Alarm": { "type": "object", "properties": { "id": { "type": "integer" }, "gate": { "type": "string" }, "gate_alarm_id": { "type": "integer" }, "reason": { "type": "string" }, "ts_ms": { "type": "integer" }, "ack": { "type": ["object", "null"] } } }
            }
        }
    })
}

/// `GET /api/openapi.json`
pub async fn handler() -> Json<Value> {
    Json(document())
}
