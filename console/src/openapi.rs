//! The OpenAPI 3.1 description of the console and gate APIs, served at `/api/openapi.json`.
//!
//! Summaries, parameters, bodies and answers are written here; each operation's security
//! comes from the route table ([`crate::routes`]) the router is built from: `security`, and
//! `x-egate-roles` (the roles allowed, from the permission table the handlers use) on every
//! session operation or `x-egate-auth: "bearer"` on every gate API operation. The tests use
//! them to try every state-changing operation with no or the wrong credentials, and check
//! that the document and the table name the same operations.

use axum::http::Method;
use axum::Json;
use serde_json::{json, Map, Value};

use gate::OfficerCommand;

use crate::auth::Role;
use crate::routes::{self, Access};
use crate::ALL_ACTIONS;

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

fn action_summary(a: OfficerCommand) -> &'static str {
    match a {
        OfficerCommand::ReleaseExit => "Open the exit for the traveller in the gate",
        OfficerCommand::Refer => "Refer the traveller in the gate to an officer",
        OfficerCommand::Reset => "Reset the gate after an emergency or fault",
        OfficerCommand::LaneOpen => "Open the lane: take travellers again",
        OfficerCommand::LaneClose => "Close the lane after the passage in progress",
        OfficerCommand::OutOfService => "Take the gate out of service at once",
    }
}

/// The command's name as in paths and JSON (`release_exit`, ...).
fn action_name(a: OfficerCommand) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The table's routes as documented operations: (path, method, access, command), a command
/// route once per command.
fn operations() -> Vec<(String, Method, Access, Option<OfficerCommand>)> {
    let mut ops = Vec::new();
    for r in routes::table() {
        if r.path.contains("{action}") {
            for a in ALL_ACTIONS {
                let path = r.path.replace("{action}", &action_name(a));
                ops.push((path, r.method.clone(), r.access, Some(a)));
            }
        } else {
            ops.push((r.path, r.method, r.access, None));
        }
    }
    ops
}

/// Puts each operation's security, from the route table, into the written paths.
fn add_security(paths: &mut Map<String, Value>) {
    for (path, method, access, action) in operations() {
        let method = method.as_str().to_ascii_lowercase();
        let Some(op) = paths
            .get_mut(&path)
            .and_then(|item| item.get_mut(&method))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        match access {
            Access::Open => {
                op.insert("security".into(), json!([]));
            }
            Access::Session(permission) => {
                let security = if method == "get" {
                    json!([{ "session": [] }])
                } else {
                    json!([{ "session": [], "csrf": [] }])
                };
                op.insert("security".into(), security);
                op.insert("x-egate-roles".into(), roles(&permission.roles(action)));
            }
            Access::Bearer => {
                op.insert("security".into(), json!([{ "bearer": [] }]));
                op.insert("x-egate-auth".into(), json!("bearer"));
            }
        }
    }
}

/// An acknowledgement's comment: at least one character that is neither white space nor one
/// that [`crate::api::comment_char`] removes (ECMA-262 regular expression).
fn ack_comment_pattern() -> &'static str {
    "[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb]"
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    paths.insert("/api/login".into(), json!({ "post": {
        "operationId": "login", "summary": "Log in; sets the session cookie and returns the CSRF token",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/LoginRequest" } } } },
        "responses": { "200": ok_json("Logged in", json!({ "$ref": "#/components/schemas/Session" })),
                       "401": err("Wrong user or password"), "429": err("Too many failed logins"),
                       "400": err("Bad JSON"), "415": err("Not JSON"), "413": err("Body too large"),
                       "422": err("JSON of the wrong shape"),
                       "408": err("Body not received within 10 s"),
                       "503": err("Too many password checks at once; try again after Retry-After") }
    }}));
    paths.insert("/api/logout".into(), json!({ "post": {
        "operationId": "logout", "summary": "End the session",
        "responses": { "204": { "description": "Logged out" }, "401": err("Not logged in"), "403": err("CSRF token missing") }
    }}));
    paths.insert("/api/session".into(), json!({ "get": {
        "operationId": "session", "summary": "Who is logged in, the CSRF token and what the role may do",
        "responses": { "200": ok_json("The session", json!({ "$ref": "#/components/schemas/Session" })), "401": err("Not logged in") }
    }}));
    paths.insert("/api/gates".into(), json!({ "get": {
        "operationId": "listGates", "summary": "Every gate of the bank with its status",
        "responses": { "200": ok_json("Gates", json!({ "type": "object", "properties": { "gates": { "type": "array", "items": { "$ref": "#/components/schemas/GateEntry" } } } })), "401": err("Not logged in") }
    }}));
    paths.insert("/api/gates/{gate}".into(), json!({ "get": {
        "operationId": "getGate", "summary": "One gate's status",
        "parameters": [gate_param()],
        "responses": { "200": ok_json("The gate", json!({ "$ref": "#/components/schemas/GateEntry" })), "401": err("Not logged in"), "404": err("Unknown gate"), "502": err("Gate unreachable") }
    }}));
    for a in ALL_ACTIONS {
        let name = action_name(a);
        paths.insert(format!("/api/gates/{{gate}}/commands/{name}"), json!({ "post": {
            "operationId": format!("command_{name}"), "summary": action_summary(a),
            "description": "Recorded in the audit trail with the officer's id before it is sent; the gate's answer arrives on the event stream as a `command` event.",
            "parameters": [gate_param()],
            "requestBody": { "required": false, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CommentRequest" } } } },
            "responses": { "202": ok_json("Sent to the gate", json!({ "type": "object" })),
                           "401": err("Not logged in"), "403": err("Wrong role or CSRF token missing"),
                           "404": err("Unknown gate"), "415": err("Not JSON"), "400": err("Bad JSON"),
                           "422": err("A body other than a CommentRequest, or a comment too long"),
                           "502": err("Gate unreachable"), "503": err("Audit trail unavailable: not sent") }
        }}));
    }
    paths.insert("/api/gates/{gate}/photo/{kind}".into(), json!({ "get": {
        "operationId": "photo", "summary": "The chip photo or the live capture of the passage in progress (JPEG, Cache-Control: no-store)",
        "parameters": [gate_param(), { "name": "kind", "in": "path", "required": true, "schema": { "enum": ["chip", "live"] } }],
        "responses": { "200": { "description": "JPEG", "content": { "image/jpeg": {} } }, "401": err("Not logged in"), "403": err("Wrong role"), "404": err("No passage in progress or unknown gate") }
    }}));
    paths.insert("/api/referrals".into(), json!({ "get": {
        "operationId": "listReferrals", "summary": "Open referrals with data for their handling officer (no action, no DG1)",
        "responses": { "200": ok_json("Referrals", json!({ "type": "object", "properties": { "referrals": { "type": "array", "items": { "$ref": "#/components/schemas/ReferralSummary" } } } })), "401": err("Not logged in") }
    }}));
    let referral_param = json!({ "name": "referral", "in": "path", "required": true, "schema": { "type": "integer" } });
    paths.insert("/api/gates/{gate}/referrals/{referral}/take".into(), json!({ "post": {
        "operationId": "takeReferral", "summary": "Take a referral: from now on only this officer sees its action and DG1 (audited)",
        "parameters": [gate_param(), referral_param.clone()],
        "responses": { "200": ok_json("Taken", json!({ "type": "object", "properties": { "referral": { "$ref": "#/components/schemas/ReferralSummary" } } })),
                       "401": err("Not logged in"), "403": err("Wrong role, CSRF token missing, or another officer handles it"),
                       "404": err("Unknown gate or referral"), "503": err("Audit trail unavailable") }
    }}));
    paths.insert("/api/gates/{gate}/referrals/{referral}".into(), json!({ "get": {
        "operationId": "getReferral", "summary": "The required action and the passage's DG1, for the officer who took the referral only (Cache-Control: no-store)",
        "parameters": [gate_param(), referral_param.clone()],
        "responses": { "200": ok_json("The referral", json!({ "type": "object" })),
                       "401": err("Not logged in"), "403": err("Wrong role, or another officer handles it"),
                       "404": err("Unknown gate or referral"), "409": err("Not taken yet") }
    }}));
    paths.insert("/api/gates/{gate}/referrals/{referral}/close".into(), json!({ "post": {
        "operationId": "closeReferral", "summary": "Close a referral one took; its action and DG1 are zeroized (audited)",
        "parameters": [gate_param(), referral_param],
        "responses": { "200": ok_json("Closed", json!({ "type": "object", "properties": { "referral": { "$ref": "#/components/schemas/ReferralSummary" } } })),
                       "401": err("Not logged in"), "403": err("Wrong role, CSRF token missing, or another officer handles it"),
                       "404": err("Unknown gate or referral"), "409": err("Not taken yet"), "503": err("Audit trail unavailable") }
    }}));
    paths.insert("/api/alarms".into(), json!({ "get": {
        "operationId": "listAlarms", "summary": "The alarm queue, newest first",
        "responses": { "200": ok_json("Alarms", json!({ "type": "object", "properties": { "alarms": { "type": "array", "items": { "$ref": "#/components/schemas/Alarm" } } } })), "401": err("Not logged in") }
    }}));
    paths.insert("/api/alarms/{alarm}/ack".into(), json!({ "post": {
        "operationId": "ackAlarm", "summary": "Acknowledge an alarm with a comment (audited)",
        "parameters": [{ "name": "alarm", "in": "path", "required": true, "schema": { "type": "integer" } }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AckRequest" } } } },
        "responses": { "200": ok_json("Acknowledged", json!({ "type": "object", "properties": { "alarm": { "$ref": "#/components/schemas/Alarm" } } })),
                       "401": err("Not logged in"), "403": err("Wrong role or CSRF token missing"), "404": err("Unknown alarm"),
                       "400": err("Bad JSON"), "415": err("Not JSON"),
                       "409": err("Already acknowledged"), "422": err("Comment missing or too long"),
                       "503": err("Audit trail unavailable: not acknowledged") }
    }}));
    paths.insert("/api/stats".into(), json!({ "get": {
        "operationId": "stats", "summary": "Passages per hour, outcomes, referral reasons and transaction times, for the bank or one gate",
        "parameters": [{ "name": "gate", "in": "query", "required": false, "schema": { "type": "string" } }],
        "responses": { "200": ok_json("Statistics", json!({ "type": "object" })), "400": err("A query parameter other than gate"), "401": err("Not logged in"), "404": err("Unknown gate") }
    }}));
    paths.insert("/api/events".into(), json!({ "get": {
        "operationId": "events", "summary": "Server-Sent Events: one JSON PageMessage per message (gate events with the status after them, alarm acknowledgements, resync)",
        "responses": { "200": { "description": "text/event-stream", "content": { "text/event-stream": {} } }, "401": err("Not logged in") }
    }}));
    paths.insert(
        "/api/openapi.json".into(),
        json!({ "get": {
            "operationId": "openapi", "summary": "This document",
            "responses": { "200": ok_json("OpenAPI 3.1", json!({ "type": "object" })) }
        }}),
    );
    // The gate API (served only when a token file is configured).
    paths.insert("/gate-api/v1/gates".into(), json!({ "get": {
        "operationId": "gateApiList", "summary": "Gate API: every gate's status",
        "responses": { "200": ok_json("Statuses", json!({ "type": "object" })), "401": err("Bad token") }
    }}));
    paths.insert("/gate-api/v1/gates/{gate}".into(), json!({ "get": {
        "operationId": "gateApiGet", "summary": "Gate API: one gate's status", "parameters": [gate_param()],
        "responses": { "200": ok_json("Status", json!({ "$ref": "#/components/schemas/GateStatus" })), "401": err("Bad token"), "404": err("Unknown gate") }
    }}));
    paths.insert("/gate-api/v1/events".into(), json!({ "get": {
        "operationId": "gateApiEvents", "summary": "Gate API: Server-Sent Events, one GateEvent per message",
        "responses": { "200": { "description": "text/event-stream", "content": { "text/event-stream": {} } }, "401": err("Bad token") }
    }}));
    paths.insert("/gate-api/v1/gates/{gate}/commands".into(), json!({ "post": {
        "operationId": "gateApiCommand", "summary": "Gate API: an officer command from a console over mutual TLS, with the officer and role signed by the console's certificate key; audited here too", "parameters": [gate_param()],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SignedCommand" } } } },
        "responses": { "202": ok_json("Sent", json!({ "type": "object" })), "401": err("Bad token"),
                       "403": err("No client certificate; or the assertion's signature, gate, role or age is refused"),
                       "404": err("Unknown gate"), "409": err("Assertion used before"),
                       "400": err("Bad JSON"), "415": err("Not JSON"), "422": err("Not a signed officer assertion"),
                       "502": err("Gate unreachable"), "503": err("Audit trail unavailable, or too many commands at once: not sent") }
    }}));
    paths.insert("/gate-api/v1/gates/{gate}/photo/{kind}".into(), json!({ "get": {
        "operationId": "gateApiPhoto", "summary": "Gate API: a photo of the passage in progress (no-store)",
        "parameters": [gate_param(), { "name": "kind", "in": "path", "required": true, "schema": { "enum": ["chip", "live"] } }],
        "responses": { "200": { "description": "JPEG", "content": { "image/jpeg": {} } }, "401": err("Bad token"), "404": err("No passage") }
    }}));
    add_security(&mut paths);
    let actions: Vec<Value> = ALL_ACTIONS
        .iter()
        .filter_map(|a| serde_json::to_value(a).ok())
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": { "title": "egate console API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "The officers' supervision console of a bank of e-gates, and the gate API a remote console uses. Officers: session cookie + X-CSRF-Token on every state-changing request. Consoles: bearer token, and for commands a client certificate (mutual TLS) whose key signs each command's officer assertion." },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": crate::SESSION_COOKIE },
                "csrf": { "type": "apiKey", "in": "header", "name": "X-CSRF-Token" },
                "bearer": { "type": "http", "scheme": "bearer" }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error", "message"], "properties": { "error": { "type": "string" }, "message": { "type": "string" } } },
                "LoginRequest": { "type": "object", "required": ["user", "password"], "additionalProperties": false, "properties": { "user": { "type": "string", "maxLength": 64 }, "password": { "type": "string" } } },
                "CommentRequest": { "type": "object", "additionalProperties": false, "properties": { "comment": { "type": ["string", "null"], "maxLength": crate::api::MAX_COMMENT } } },
                "AckRequest": { "type": "object", "required": ["comment"], "additionalProperties": false, "properties": { "comment": {
                    "type": "string", "maxLength": crate::api::MAX_COMMENT,
                    "description": "What was done about the alarm; control and format characters (bidi, zero-width) are removed, and what is left must not be blank",
                    "pattern": ack_comment_pattern() } } },
                "Session": { "type": "object", "required": ["user", "role", "csrf", "may"], "additionalProperties": false, "properties": { "user": { "type": "string" }, "role": { "enum": ["officer", "supervisor", "technician"] }, "csrf": { "type": "string" }, "may": { "type": "object" } } },
                "OfficerAction": { "enum": actions },
                "SignedCommand": { "type": "object", "required": ["assertion", "scheme", "signature"], "additionalProperties": false,
                    "description": "assertion: base64 of the JSON of an OfficerAssertion; signature: base64 of the signature, under the key of the connection's client certificate, over \"egate officer assertion v1\\0\" followed by those JSON bytes",
                    "properties": { "assertion": { "type": "string", "contentEncoding": "base64" }, "scheme": { "enum": ["ecdsa_p256_sha256", "ed25519"] }, "signature": { "type": "string", "contentEncoding": "base64" } } },
                "OfficerAssertion": { "type": "object", "required": ["officer", "role", "gate", "action", "comment", "issued_ms", "nonce"], "additionalProperties": false, "properties": {
                    "officer": { "type": "string" }, "role": { "enum": ["officer", "supervisor", "technician"] }, "gate": { "type": "string" },
                    "action": { "$ref": "#/components/schemas/OfficerAction" }, "comment": { "type": ["string", "null"] },
                    "issued_ms": { "type": "integer" }, "nonce": { "type": "string", "pattern": "^[0-9a-fA-F]{32}$" } } },
                "DeviceHealth": { "type": "object", "required": ["device", "ok", "detail"], "properties": { "device": { "type": "string" }, "ok": { "type": "boolean" }, "detail": { "type": "string" } } },
                "GateStatus": { "type": "object", "required": ["id", "phase", "step", "elapsed_ms", "lane_open", "out_of_service", "liveness", "devices", "photos_available", "passages_accepted", "passages_referred"], "properties": {
                    "id": { "type": "string" }, "phase": { "type": "string" }, "step": { "type": "string" }, "elapsed_ms": { "type": "integer" },
                    "lane_open": { "type": "boolean" }, "out_of_service": { "type": "boolean" }, "liveness": { "type": "string" },
                    "devices": { "type": "array", "items": { "$ref": "#/components/schemas/DeviceHealth" } }, "photos_available": { "type": "boolean" },
                    "passages_accepted": { "type": "integer" }, "passages_referred": { "type": "integer" },
                    "trust": { "$ref": "#/components/schemas/TrustStatus" } } },
                "TrustStatus": { "type": "object", "required": ["cscas", "crls", "next_expiry", "crl_freshness", "ok", "detail"], "properties": { "cscas": { "type": "integer" }, "crls": { "type": "integer" }, "next_expiry": { "type": ["string", "null"] }, "crl_freshness": { "type": "string" }, "ok": { "type": "boolean" }, "detail": { "type": "string" } } },
                "GateEntry": { "type": "object", "required": ["id", "reachable"], "properties": { "id": { "type": "string" }, "reachable": { "type": "boolean" }, "status": { "$ref": "#/components/schemas/GateStatus" }, "error": { "type": "string" } } },
                "ReferralSummary": { "type": "object", "properties": { "id": { "type": "integer" }, "gate": { "type": "string" }, "reason": { "type": "string" }, "opened_ms": { "type": "integer" }, "taken_by": { "type": ["string", "null"] } } },
                "Alarm": { "type": "object", "required": ["id", "gate", "gate_alarm_id", "reason", "ts_ms", "ack"], "properties": { "id": { "type": "integer" }, "gate": { "type": "string" }, "gate_alarm_id": { "type": "integer" }, "reason": { "type": "string" }, "ts_ms": { "type": "integer" }, "ack": { "type": ["object", "null"] }, "source": { "type": "string", "description": "The border database source a borderdb_unavailable alarm is about" }, "cleared_ms": { "type": "integer", "description": "When the condition ended (the source answers again)" } } }
            }
        }
    })
}

/// `GET /api/openapi.json`
pub async fn handler() -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn documented(doc: &Value) -> BTreeSet<(String, String)> {
        let mut ops = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                ops.insert((method.clone(), path.clone()));
            }
        }
        ops
    }

    #[test]
    fn every_route_is_documented_and_every_documented_operation_is_routed() {
        let routed: BTreeSet<(String, String)> = operations()
            .into_iter()
            .map(|(path, method, ..)| (method.as_str().to_ascii_lowercase(), path))
            .collect();
        let documented = documented(&document());
        assert_eq!(
            routed.difference(&documented).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "routed but not documented"
        );
        assert_eq!(
            documented.difference(&routed).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "documented but not routed"
        );
    }

    #[test]
    fn every_operation_carries_the_access_of_its_route() {
        let doc = document();
        for (path, method, access, action) in operations() {
            let op = &doc["paths"][&path][method.as_str().to_ascii_lowercase()];
            let security = op["security"].as_array().unwrap();
            match access {
                Access::Open => assert!(security.is_empty(), "{method} {path}"),
                Access::Session(permission) => {
                    let csrf = security[0].get("csrf").is_some();
                    assert_eq!(csrf, method != Method::GET, "{method} {path}");
                    let listed: Vec<Role> = op["x-egate-roles"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| Role::parse(r.as_str().unwrap()).unwrap())
                        .collect();
                    assert_eq!(listed, permission.roles(action), "{method} {path}");
                }
                Access::Bearer => {
                    assert!(security[0].get("bearer").is_some(), "{method} {path}");
                    assert_eq!(op["x-egate-auth"], "bearer", "{method} {path}");
                    assert!(path.starts_with(routes::GATE_API_PREFIX), "{path}");
                }
            }
        }
    }

    #[test]
    fn the_permission_table_reaches_the_document() {
        let doc = document();
        let roles = |path: &str, method: &str| doc["paths"][path][method]["x-egate-roles"].clone();
        assert_eq!(
            roles("/api/gates/{gate}/commands/release_exit", "post"),
            json!(["officer", "supervisor"])
        );
        assert_eq!(
            roles("/api/gates/{gate}/commands/reset", "post"),
            json!(["supervisor"])
        );
        assert_eq!(
            roles("/api/gates/{gate}/photo/{kind}", "get"),
            json!(["officer", "supervisor"])
        );
        assert_eq!(
            roles("/api/alarms/{alarm}/ack", "post"),
            json!(["officer", "supervisor"])
        );
        assert_eq!(
            roles("/api/gates", "get"),
            json!(["officer", "supervisor", "technician"])
        );
        assert_eq!(doc["paths"]["/api/login"]["post"]["security"], json!([]));
    }
}
