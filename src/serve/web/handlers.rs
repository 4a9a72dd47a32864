//! The pages' handlers: each reads through a read-only connection off the async threads, then
//! lays out its page.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Form;
use maud::html;
use serde::Deserialize;

use super::layout::{problem, respond, Frame};
use super::pages::{self, explain::Subject};
use super::queries::{self, Month};
use super::{has_session, see_other};
use crate::diagnostic::did_you_mean;
use crate::engine::value::local_date;
use crate::explain::human;
use crate::explain::{explain_activity, explain_named, LookupError, Marks, Style};
use crate::serve::http::{AppState, ExplainParams};
use crate::serve::reads::{resolve_person, Live};
use crate::store::{Store, StoreError};

/// The frame of a page when the store could not be read.
fn bare_frame(state: &AppState) -> Frame {
    Frame {
        sessions: !state.keys.is_empty(),
        clock: None,
        tz: state.current.get().1.settings.time_zone,
    }
}

/// Runs `f` on a read-only connection with the program in force, and gives its result with
/// the page's frame; a store failure is a page saying so (500).
async fn read<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&dyn Store, &Live) -> Result<T, StoreError> + Send + 'static,
) -> Result<(T, Frame), Response> {
    let st = Arc::clone(state);
    let sessions = !state.keys.is_empty();
    let answer = tokio::task::spawn_blocking(move || {
        st.reads.with_live(&st.current, |store, live| {
            let clock = store.clock()?;
            let v = f(store, live)?;
            Ok((
                v,
                Frame {
                    sessions,
                    clock,
                    tz: live.program.settings.time_zone,
                },
            ))
        })
    })
    .await;
    let message = match answer {
        Ok(Ok(v)) => return Ok(v),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "store failure");
            format!("store failure: {e}")
        }
        Err(_) => "the read failed".to_string(),
    };
    Err(problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The store could not be read",
        html! { (message) },
        &bare_frame(state),
    ))
}

/// `GET /`.
pub async fn campaigns(State(state): State<Arc<AppState>>) -> Response {
    match read(&state, |store, live| {
        queries::campaigns(store, &live.program)
    })
    .await
    {
        Ok((rows, frame)) => respond(StatusCode::OK, pages::campaigns::render(&rows, &frame)),
        Err(r) => r,
    }
}

/// `GET /campaigns/{name}`.
pub async fn campaign(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    let n = name.clone();
    let result = read(&state, move |store, live| {
        let Some(view) = queries::campaign(store, &live.program, &n)? else {
            let names = live.program.campaigns.iter().map(|c| c.name.as_str());
            return Ok(Err(did_you_mean(&n, names)));
        };
        let flow = crate::graph::flow_graph(&live.scripts, &live.sources, &live.program, &n)
            .map(|g| {
                let svg = crate::graph::svg::render(&g);
                svg.find("<svg")
                    .map_or(svg.clone(), |i| svg[i..].to_string())
            })
            .map_err(|e| e.to_string());
        Ok(Ok((
            view,
            live.texts.campaign(&n),
            live.texts.qualify(&n),
            flow,
        )))
    })
    .await;
    match result {
        Ok((Ok((view, list, qualify, flow)), frame)) => {
            let script = pages::campaign::Script {
                list: &list,
                qualify: &qualify,
                flow,
            };
            respond(
                StatusCode::OK,
                pages::campaign::render(&view, &script, &frame),
            )
        }
        Ok((Err(hint), frame)) => problem(
            StatusCode::NOT_FOUND,
            "No such campaign",
            html! {
                "No campaign is called " q { (name) } "."
                @if let Some(h) = hint { " " (capitalised(&h)) }
            },
            &frame,
        ),
        Err(r) => r,
    }
}

/// `did you mean ...?` as a sentence.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `GET /people/{who}`: by id or email.
pub async fn person(State(state): State<Arc<AppState>>, Path(who): Path<String>) -> Response {
    let w = who.clone();
    let result = read(&state, move |store, live| {
        let names: Vec<String> = live
            .program
            .campaigns
            .iter()
            .map(|c| c.name.clone())
            .collect();
        Ok((queries::person(store, &live.program, &w)?, names))
    })
    .await;
    match result {
        Ok(((Some(view), names), frame)) => {
            respond(StatusCode::OK, pages::person::render(&view, &names, &frame))
        }
        Ok(((None, _), frame)) => no_person(&who, &frame),
        Err(r) => r,
    }
}

fn no_person(who: &str, frame: &Frame) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "No person",
        html! { "No person is " q { (who) } ": the store has no person with this id or email." },
        frame,
    )
}

/// The query of `GET /search`.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    /// The email to find (exact, case-insensitive).
    #[serde(default)]
    email: String,
}

/// `GET /search?email=E`: to the person's page, or a page saying there is no such person.
pub async fn search(
    State(state): State<Arc<AppState>>,
    Query(params): Query<SearchParams>,
) -> Response {
    let email = params.email.trim().to_string();
    if email.is_empty() {
        return see_other("/");
    }
    let e = email.clone();
    match read(&state, move |store, _| store.person_by_email(&e)).await {
        Ok((Some(id), _)) => see_other(&format!("/people/{id}")),
        Ok((None, frame)) => problem(
            StatusCode::NOT_FOUND,
            "No person",
            html! { "No person has the email " q { (email) } "." },
            &frame,
        ),
        Err(r) => r,
    }
}

/// The query of `GET /schedule`.
#[derive(Debug, Deserialize)]
pub struct ScheduleParams {
    /// `YYYY-MM` (default: the month of the store's clock).
    month: Option<String>,
}

/// `GET /schedule?month=YYYY-MM`.
pub async fn schedule(
    State(state): State<Arc<AppState>>,
    Query(params): Query<ScheduleParams>,
) -> Response {
    let asked = match params.month.as_deref().filter(|m| !m.is_empty()) {
        None => None,
        Some(m) => match Month::parse(m) {
            Some(month) => Some(month),
            None => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "No such month",
                    html! { "The month is written like " code { "2026-12" } ", not " q { (m) } "." },
                    &bare_frame(&state),
                )
            }
        },
    };
    let result = read(&state, move |store, live| {
        let tz = live.program.settings.time_zone;
        let now = store
            .clock()?
            .unwrap_or_else(|| chrono::Utc::now().timestamp());
        let month = asked.unwrap_or_else(|| Month::of(local_date(now, tz)));
        Ok((month, queries::month_runs(live, month, tz)))
    })
    .await;
    match result {
        Ok(((month, runs), frame)) => respond(
            StatusCode::OK,
            pages::schedule::render(month, &runs, &frame),
        ),
        Err(r) => r,
    }
}

/// What an explanation page found.
enum Found {
    Page(Subject, String),
    Unknown(String),
}

/// `GET /explain?person=P&campaign=C` or `GET /explain?activity=ID`: `camp explain`'s
/// human output, verdicts in words.
pub async fn explain(
    State(state): State<Arc<AppState>>,
    Query(params): Query<ExplainParams>,
) -> Response {
    let result = read(&state, move |store, live| {
        let style = Style {
            marks: Marks::Words,
            tz: live.program.settings.time_zone,
        };
        let name_of = |id: i64| -> Result<String, StoreError> {
            Ok(store
                .person(id)?
                .and_then(|p| p.email().map(str::to_string))
                .unwrap_or_else(|| format!("person {id}")))
        };
        match params {
            ExplainParams {
                activity: Some(id),
                person: None,
                campaign: None,
                at: None,
            } => match explain_activity(&live.program, &live.texts, store, id)? {
                None => Ok(Some(Found::Unknown(format!(
                    "the log has no activity {id}"
                )))),
                Some(e) => {
                    let person = match store.activity(id)? {
                        Some(a) => Some((a.person, name_of(a.person)?)),
                        None => None,
                    };
                    Ok(Some(Found::Page(
                        Subject::Activity { id, person },
                        human::activity(&e, style),
                    )))
                }
            },
            ExplainParams {
                activity: None,
                person: Some(person),
                campaign: Some(campaign),
                at: None,
            } => match explain_named(&live.program, &live.texts, store, &person, &campaign, None) {
                Ok(e) => {
                    let id = resolve_person(store, &person)?.unwrap_or_default();
                    let name = name_of(id)?;
                    Ok(Some(Found::Page(
                        Subject::Person { id, name, campaign },
                        human::person(&e, style),
                    )))
                }
                Err(LookupError::Unknown(message)) => Ok(Some(Found::Unknown(message))),
                Err(LookupError::Store(e)) => Err(e),
            },
            _ => Ok(None),
        }
    })
    .await;
    match result {
        Ok((Some(Found::Page(subject, text)), frame)) => respond(
            StatusCode::OK,
            pages::explain::render(&subject, &text, &frame),
        ),
        Ok((Some(Found::Unknown(message)), frame)) => problem(
            StatusCode::NOT_FOUND,
            "Nothing to explain",
            html! { (capitalised(&message)) "." },
            &frame,
        ),
        Ok((None, frame)) => problem(
            StatusCode::BAD_REQUEST,
            "Nothing to explain",
            html! { "Ask for " code { "person" } " and " code { "campaign" } ", or " code { "activity" } " alone." },
            &frame,
        ),
        Err(r) => r,
    }
}

/// Where to go after logging in: a path of this site, `/` otherwise.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

/// The query of `GET /login`.
#[derive(Debug, Deserialize)]
pub struct LoginParams {
    next: Option<String>,
}

/// `GET /login`: the form (straight on when no session is needed or one is open).
pub async fn login_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(params): Query<LoginParams>,
) -> Response {
    let next = safe_next(params.next.as_deref());
    if has_session(&state, &headers) {
        return see_other(&next);
    }
    respond(
        StatusCode::OK,
        pages::login::render(&next, None, &bare_frame(&state)),
    )
}

/// The form of `POST /login`.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    key: String,
    next: Option<String>,
}

/// `POST /login`: a right key opens a session (a cookie) and goes on to `next`; a wrong one
/// is the form again with an error (403).
pub async fn login(State(state): State<Arc<AppState>>, Form(form): Form<LoginForm>) -> Response {
    let next = safe_next(form.next.as_deref());
    if state.keys.is_empty() {
        return see_other(&next);
    }
    if !state.keys.is_key(form.key.trim().as_bytes()) {
        tracing::info!("web login refused: the key is not one of CAMP_API_KEYS");
        let message = if form.key.trim().is_empty() {
            "Enter a key."
        } else {
            "This key is not one of the server's API keys."
        };
        return respond(
            StatusCode::FORBIDDEN,
            pages::login::render(&next, Some(message), &bare_frame(&state)),
        );
    }
    let value = match state.sessions.issue(chrono::Utc::now().timestamp()) {
        Ok(v) => v,
        Err(e) => {
            return problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "No session",
                html! { (e) },
                &bare_frame(&state),
            )
        }
    };
    let mut r = see_other(&next);
    if let Ok(v) = HeaderValue::from_str(&state.sessions.set_cookie(&value)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// `POST /logout`: the cookie is dropped; back to the login form.
pub async fn logout(State(state): State<Arc<AppState>>) -> Response {
    if state.keys.is_empty() {
        return see_other("/");
    }
    let mut r = see_other("/login");
    if let Ok(v) = HeaderValue::from_str(&state.sessions.clear_cookie()) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// The page of an unknown path.
pub fn not_found(state: &AppState) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "No such page",
        html! { "This server has no page here." },
        &bare_frame(state),
    )
}
