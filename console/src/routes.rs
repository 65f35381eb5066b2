//! The route table: every path of the officers' API and of the gate API, with who may call
//! it. [`crate::router`] registers the handlers through it, and the OpenAPI document
//! ([`crate::openapi`]) takes each operation's security and roles from it, so the router, the
//! permissions and the document cannot drift apart (the tests check that every route is
//! documented and every documented operation is routed).

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{get, post};
use axum::Router;
use gate::OfficerCommand;

use crate::auth::{self, Role};
use crate::{api, gate_api, openapi, AppState};

/// Where the gate API is mounted.
pub const GATE_API_PREFIX: &str = "/gate-api/v1";

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (login, the OpenAPI document).
    Open,
    /// An officer's session, with its CSRF token on any method but GET, and a role the
    /// [`Permission`] allows.
    Session(Permission),
    /// The gate API's bearer token.
    Bearer,
}

/// What an officer's role must allow for a session route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Any logged-in officer.
    AnyRole,
    /// The command named by the path's `{action}` ([`auth::may_command`]).
    Command,
    /// Acknowledging alarms ([`auth::may_ack`]).
    AckAlarms,
    /// Seeing the photos of the passage in progress ([`auth::may_see_photos`]).
    Photos,
    /// Taking, reading and closing a referral with data for its handling officer
    /// ([`auth::may_handle_referrals`]).
    Referrals,
}

impl Permission {
    /// The roles allowed; `action` is the command of a [`Permission::Command`] route.
    pub fn roles(self, action: Option<OfficerCommand>) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|&r| match self {
                Permission::AnyRole => true,
                Permission::Command => action.is_some_and(|a| auth::may_command(r, a)),
                Permission::AckAlarms => auth::may_ack(r),
                Permission::Photos => auth::may_see_photos(r),
                Permission::Referrals => auth::may_handle_referrals(r),
            })
            .collect()
    }
}

/// One route: a method on a path (axum's `{name}` syntax, from the root), and its access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The full path, e.g. `/api/gates/{gate}`.
    pub path: String,
    /// Who may call it.
    pub access: Access,
}

/// Routes of one access kind, as registered.
pub(crate) struct Group {
    prefix: &'static str,
    kind: fn(&Access) -> bool,
    pub(crate) router: Router<AppState>,
    pub(crate) table: Vec<Route>,
}

impl Group {
    fn new(prefix: &'static str, kind: fn(&Access) -> bool) -> Self {
        Self {
            prefix,
            kind,
            router: Router::new(),
            table: Vec::new(),
        }
    }

    fn add(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        route: axum::routing::MethodRouter<AppState>,
    ) -> Self {
        assert!(
            (self.kind)(&access),
            "{method} {path}: {access:?} in the wrong group"
        );
        self.router = self.router.route(path, route);
        self.table.push(Route {
            method,
            path: format!("{}{path}", self.prefix),
            access,
        });
        self
    }

    fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::GET, path, access, get(handler))
    }

    fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self {
        self.add(Method::POST, path, access, post(handler))
    }
}

/// The three groups of routes, each to be wrapped in its own guard by [`crate::router`].
pub(crate) struct Groups {
    /// Behind [`crate::guard::require_session`].
    pub(crate) session: Group,
    /// Open to anyone.
    pub(crate) open: Group,
    /// Behind [`crate::guard::require_token`], nested under [`GATE_API_PREFIX`].
    pub(crate) gate_api: Group,
}

impl Groups {
    pub(crate) fn new() -> Self {
        use Access::{Bearer, Open, Session};
        use Permission::{AckAlarms, AnyRole, Command, Photos, Referrals};
        let session = Group::new("", |a| matches!(a, Session(_)))
            .post("/api/logout", Session(AnyRole), api::logout)
            .get("/api/session", Session(AnyRole), api::session)
            .get("/api/gates", Session(AnyRole), api::gates)
            .get("/api/gates/{gate}", Session(AnyRole), api::gate)
            .post(
                "/api/gates/{gate}/commands/{action}",
                Session(Command),
                api::command,
            )
            .get(
                "/api/gates/{gate}/photo/{kind}",
                Session(Photos),
                api::photo,
            )
            .get("/api/referrals", Session(AnyRole), api::referrals)
            .post(
                "/api/gates/{gate}/referrals/{referral}/take",
                Session(Referrals),
                api::take_referral,
            )
            .get(
                "/api/gates/{gate}/referrals/{referral}",
                Session(Referrals),
                api::referral,
            )
            .post(
                "/api/gates/{gate}/referrals/{referral}/close",
                Session(Referrals),
                api::close_referral,
            )
            .get("/api/alarms", Session(AnyRole), api::alarms)
            .post("/api/alarms/{alarm}/ack", Session(AckAlarms), api::ack)
            .get("/api/stats", Session(AnyRole), api::stats)
            .get("/api/events", Session(AnyRole), api::events);
        let open = Group::new("", |a| *a == Open)
            .post("/api/login", Open, api::login)
            .get("/api/openapi.json", Open, openapi::handler);
        let gate_api = Group::new(GATE_API_PREFIX, |a| *a == Bearer)
            .get("/gates", Bearer, gate_api::gates)
            .get("/gates/{gate}", Bearer, gate_api::gate)
            .get("/events", Bearer, gate_api::events)
            .post("/gates/{gate}/commands", Bearer, gate_api::command)
            .get("/gates/{gate}/photo/{kind}", Bearer, gate_api::photo);
        Self {
            session,
            open,
            gate_api,
        }
    }
}

/// Every API route (the web page's own files aside), in registration order.
pub fn table() -> Vec<Route> {
    let g = Groups::new();
    [g.session.table, g.open.table, g.gate_api.table].concat()
}
