//! The screens of a daemon's lanes and the loopback web server a kiosk browser shows them
//! from: the page, its catalogues, and a server-sent event stream per lane.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::{self, Stream, StreamExt};
use gate::MessageCode;
use tokio::sync::broadcast;

use crate::catalogue::{Catalogues, FALLBACK};
use crate::screen::{Screen, Update};

/// What every screen of a daemon shares.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The languages.
    pub catalogues: Arc<Catalogues>,
    /// Version of the privacy notice, recorded with each passage.
    pub notice_version: String,
    /// Where the traveller reads more about the processing (shown with the notice).
    pub notice_url: String,
    /// Recorded prompts, `<dir>/<lang>/<step>.wav` (`scripts/setup.sh` records them with
    /// espeak-ng); `None`: the accessible mode has no audio.
    pub audio_dir: Option<std::path::PathBuf>,
}

impl Settings {
    /// The built-in catalogues, notice version `version`, no further-information address.
    pub fn built_in(version: &str) -> Self {
        Self {
            catalogues: Arc::new(
                Catalogues::built_in().expect("the built-in catalogues are checked by tests"),
            ),
            notice_version: version.to_string(),
            notice_url: String::new(),
            audio_dir: None,
        }
    }
}

struct LaneScreen {
    screen: Mutex<Screen>,
    updates: broadcast::Sender<Update>,
    catalogues: Arc<Catalogues>,
    /// The notice version last sent to at least one open page.
    notice_shown: Mutex<Option<String>>,
    /// Where the traveller's consent answers go: the lane's gate inputs.
    answers: Mutex<Option<tokio::sync::mpsc::UnboundedSender<gate::Input>>>,
}

/// One lane's screen, as the lane's driver and jobs feed it.
#[derive(Clone)]
pub struct Feed(Arc<LaneScreen>);

impl Feed {
    fn apply(&self, f: impl FnOnce(&mut Screen) -> Option<Update>) {
        let mut s = self.0.screen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(u) = f(&mut s) {
            let notice = u.notice.clone();
            // No page open is fine; the notice then counts as not shown.
            if self.0.updates.send(u).is_ok() && notice.is_some() {
                *self
                    .0
                    .notice_shown
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = notice;
            }
        }
    }

    /// The version of the privacy notice an open page was sent since the last call, for the
    /// passage record; `None` if no page showed it.
    pub fn take_notice_shown(&self) -> Option<String> {
        self.0
            .notice_shown
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// The gate shows `code`.
    pub fn message(&self, code: MessageCode) {
        self.apply(|s| Some(s.message(code)));
    }

    /// The face pipeline's guidance (`vision::quality::Guidance::code`).
    pub fn guidance(&self, code: &'static str) {
        self.apply(|s| s.guidance(code, Instant::now()));
    }

    /// The document was issued by `state` (an ICAO code): show its language, if the
    /// catalogues have it.
    pub fn issuing_state(&self, state: &str) {
        let known = |l: &&str| self.0.catalogues.has(l);
        if let Some(lang) = crate::language::for_state(state).filter(known) {
            self.apply(|s| s.document_language(lang));
        }
    }

    /// The liveness challenge asks for `prompt` (`(code, n, of)`: the action's code, its
    /// place and how many), or is over (`None`).
    pub fn challenge(&self, prompt: Option<(&'static str, usize, usize)>) {
        self.apply(|s| s.challenge(prompt));
    }

    /// The traveller (or an officer) asked for the accessible mode: larger text and spoken
    /// prompts on the screen, and more time at the gate for this passage.
    pub fn assist(&self) {
        self.apply(Screen::assist);
        let answers = self.0.answers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = answers.as_ref() {
            let _ = tx.send(gate::Input::Assistance);
        }
    }

    /// The camera took its first frame of the passage.
    pub fn capture_started(&self) {
        self.apply(Screen::capture_started);
    }

    /// Sends the traveller's consent answers to `gate` (the lane's input channel).
    pub fn answers_to(&self, gate: tokio::sync::mpsc::UnboundedSender<gate::Input>) {
        *self.0.answers.lock().unwrap_or_else(|p| p.into_inner()) = Some(gate);
    }

    /// The traveller answered the consent question on the screen. Only while the question
    /// is on screen; `false` otherwise (the answer goes nowhere).
    pub fn consent(&self, yes: bool) -> bool {
        if self.current().step != MessageCode::AskConsent.as_str() {
            return false;
        }
        let answers = self.0.answers.lock().unwrap_or_else(|p| p.into_inner());
        answers
            .as_ref()
            .is_some_and(|tx| tx.send(gate::Input::Consent(yes)).is_ok())
    }

    /// What the screen shows now.
    pub fn current(&self) -> Update {
        self.0
            .screen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .current()
    }
}

/// Every lane's screen.
#[derive(Clone)]
pub struct Screens {
    settings: Settings,
    lanes: Arc<Mutex<BTreeMap<String, Feed>>>,
}

impl Screens {
    /// No lanes yet.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            lanes: Arc::default(),
        }
    }

    /// The shared settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The screen of lane `id`, created on first use.
    pub fn lane(&self, id: &str) -> Feed {
        let mut lanes = self.lanes.lock().unwrap_or_else(|p| p.into_inner());
        lanes
            .entry(id.to_string())
            .or_insert_with(|| {
                Feed(Arc::new(LaneScreen {
                    screen: Mutex::new(Screen::new(FALLBACK, &self.settings.notice_version)),
                    updates: broadcast::channel(64).0,
                    catalogues: self.settings.catalogues.clone(),
                    notice_shown: Mutex::new(None),
                    answers: Mutex::new(None),
                }))
            })
            .clone()
    }

    fn find(&self, id: &str) -> Option<Feed> {
        self.lanes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }
}

const PAGE: &str = include_str!("../assets/index.html");
const SCRIPT: &str = include_str!("../assets/traveller.js");
const STYLE: &str = include_str!("../assets/traveller.css");

/// The router: `/` lists the lanes, `/gates/{id}` is a lane's page, `/gates/{id}/events`
/// its update stream, `/messages/{lang}` a catalogue, `/languages` the list.
pub fn router(screens: Screens) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/gates/{id}", get(page))
        .route("/gates/{id}/events", get(events))
        .route("/gates/{id}/language/{lang}", post(choose_language))
        .route("/gates/{id}/consent/{answer}", post(consent))
        .route("/gates/{id}/assist", post(assist))
        .route("/audio/{lang}/{file}", get(audio))
        .route("/messages/{lang}", get(catalogue))
        .route("/languages", get(languages))
        .route(
            "/assets/traveller.js",
            get(|| asset(SCRIPT, "text/javascript")),
        )
        .route("/assets/traveller.css", get(|| asset(STYLE, "text/css")))
        .layer(axum::middleware::map_response(headers))
        .with_state(screens)
}

/// The page loads nothing from elsewhere and cannot be framed.
async fn headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn asset(body: &'static str, kind: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, kind)], body)
}

async fn index(State(s): State<Screens>) -> Html<String> {
    let lanes = s.lanes.lock().unwrap_or_else(|p| p.into_inner());
    let links: String = lanes
        .keys()
        .map(|id| {
            let id = html_escape(id);
            format!("<li><a href=\"/gates/{id}\">{id}</a></li>")
        })
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>egate lanes</title></head><body><main><h1>Lanes</h1><ul>{links}</ul></main></body></html>"
    ))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn page(State(s): State<Screens>, Path(id): Path<String>) -> Response {
    match s.find(&id) {
        Some(_) => Html(PAGE).into_response(),
        None => (StatusCode::NOT_FOUND, "no such lane\n").into_response(),
    }
}

async fn languages(State(s): State<Screens>) -> Json<Vec<(String, String)>> {
    Json(s.settings.catalogues.languages())
}

async fn catalogue(State(s): State<Screens>, Path(lang): Path<String>) -> Response {
    let c = &s.settings.catalogues;
    if !c.has(&lang) {
        return (StatusCode::NOT_FOUND, "no such language\n").into_response();
    }
    let mut body = serde_json::to_value(c.get(&lang)).unwrap_or_default();
    body["notice_url"] = s.settings.notice_url.clone().into();
    Json(body).into_response()
}

async fn choose_language(
    State(s): State<Screens>,
    Path((id, lang)): Path<(String, String)>,
) -> Response {
    let Some(feed) = s.find(&id) else {
        return (StatusCode::NOT_FOUND, "no such lane\n").into_response();
    };
    if !s.settings.catalogues.has(&lang) {
        return (StatusCode::NOT_FOUND, "no such language\n").into_response();
    }
    feed.apply(|screen| Some(screen.choose_language(&lang)));
    StatusCode::NO_CONTENT.into_response()
}

async fn assist(State(s): State<Screens>, Path(id): Path<String>) -> Response {
    match s.find(&id) {
        Some(feed) => {
            feed.assist();
            StatusCode::NO_CONTENT.into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such lane\n").into_response(),
    }
}

/// A recorded prompt: `/audio/<lang>/<step>.wav`, for a language and a step the
/// catalogues know (nothing else on disk can be named).
async fn audio(State(s): State<Screens>, Path((lang, file)): Path<(String, String)>) -> Response {
    let step = file.strip_suffix(".wav").unwrap_or_default();
    let known =
        s.settings.catalogues.has(&lang) && MessageCode::ALL.iter().any(|m| m.as_str() == step);
    let Some(dir) = s.settings.audio_dir.as_ref().filter(|_| known) else {
        return (StatusCode::NOT_FOUND, "no such prompt\n").into_response();
    };
    match tokio::fs::read(dir.join(&lang).join(format!("{step}.wav"))).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "audio/wav")], bytes).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "no such prompt\n").into_response(),
    }
}

async fn consent(State(s): State<Screens>, Path((id, answer)): Path<(String, String)>) -> Response {
    let Some(feed) = s.find(&id) else {
        return (StatusCode::NOT_FOUND, "no such lane\n").into_response();
    };
    let yes = match answer.as_str() {
        "yes" => true,
        "no" => false,
        _ => return (StatusCode::NOT_FOUND, "the answer is yes or no\n").into_response(),
    };
    if feed.consent(yes) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::CONFLICT, "no consent question on screen\n").into_response()
    }
}

async fn events(State(s): State<Screens>, Path(id): Path<String>) -> Response {
    let Some(feed) = s.find(&id) else {
        return (StatusCode::NOT_FOUND, "no such lane\n").into_response();
    };
    let rx = feed.0.updates.subscribe();
    let first = feed.current();
    Sse::new(updates(first, rx))
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn updates(
    first: Update,
    rx: broadcast::Receiver<Update>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let event = |u: &Update| Event::default().json_data(u).unwrap_or_default();
    let head = stream::once(std::future::ready(Ok(event(&first))));
    let tail = stream::unfold(rx, move |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(u) => return Some((Ok(event(&u)), rx)),
                // A slow page skips to the newest state.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    head.chain(tail)
}
