//! The HTTP API (LANGUAGE.md 13.2): routes, authentication, limits, and the server itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::error_handling::HandleErrorLayer;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower::ServiceBuilder;

use super::auth::{ApiKeys, Verdict};
use super::metrics::Metrics;
use super::reads::{self, Current, Page, ReadPool};
use super::runner::{Rejection, RunnerHandle};
use crate::explain::{explain_activity, explain_named, LookupError};
use crate::store::{Store, StoreError};

/// Bodies larger than this answer 413.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Requests in progress at most; beyond, 503 with `Retry-After`.
pub const IN_FLIGHT: usize = 64;
/// A client has this long to send a request's headers (`CAMP_HEADER_TIMEOUT_MS` overrides it).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A client has this long to send a request's body (`CAMP_BODY_TIMEOUT_MS` overrides it).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// A time-out: `default`, or the milliseconds of the environment variable `var` when it holds
/// a positive number (tests shorten them this way).
fn timeout(var: &str, default: Duration) -> Duration {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map_or(default, Duration::from_millis)
}
/// Listings answer at most this many entries by default (`limit` asks for another number).
const DEFAULT_LIMIT: u32 = 1000;
/// Listings answer at most this many entries.
const MAX_LIMIT: u32 = 100_000;

/// What the handlers share.
pub struct AppState {
    /// The runner, for writes.
    pub runner: RunnerHandle,
    /// Connections for reads.
    pub reads: ReadPool,
    /// The program in force.
    pub current: Arc<Current>,
    /// The metrics.
    pub metrics: Arc<Metrics>,
    /// The keys requests must carry.
    pub keys: ApiKeys,
    /// The web view's sessions.
    pub sessions: super::web::Sessions,
}

/// An error answer: a status and `{"error": ...}` with more members when there are.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// A store failure as an answer (500), logged.
fn store_error(e: &StoreError) -> Response {
    tracing::error!(error = %e, "store failure");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("store failure: {e}"),
    )
}

/// The whole router, without the limits of [`serve`].
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/v1/events", post(post_events))
        .route("/v1/people", post(post_people))
        .route("/v1/people/{who}", get(get_person))
        .route("/v1/people/{who}/log", get(get_person_log))
        .route("/v1/log", get(get_log))
        .route("/v1/outbox", get(get_outbox))
        .route("/v1/campaigns", get(get_campaigns))
        .route("/v1/explain", get(get_explain))
        .route("/metrics", get(get_metrics))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            authenticate,
        ));
    api.merge(super::web::router(Arc::clone(&state)))
        .route("/health", get(get_health))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), observe))
        .with_state(state)
}

/// An unknown path: a page for a browser outside `/v1/`, JSON otherwise.
async fn not_found(State(state): State<Arc<AppState>>, req: Request) -> Response {
    if super::web::wants_page(req.uri().path(), req.headers()) {
        super::web::handlers::not_found(&state)
    } else {
        error(StatusCode::NOT_FOUND, "no such endpoint")
    }
}

/// 401 without a key, 403 with a wrong one.
async fn authenticate(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    match state.keys.check(header) {
        Verdict::Allowed => next.run(req).await,
        Verdict::Missing => {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "missing `Authorization: Bearer KEY` (a key of CAMP_API_KEYS)",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            r
        }
        Verdict::Wrong => error(
            StatusCode::FORBIDDEN,
            "the API key is not one of CAMP_API_KEYS",
        ),
    }
}

/// Request latency and a log line per request.
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_string(), |p| p.as_str().to_string());
    let method = req.method().clone();
    let response = next.run(req).await;
    let status = response.status();
    let elapsed = started.elapsed();
    state
        .metrics
        .request_seconds
        .with_label_values(&[route.as_str(), status.as_str()])
        .observe(elapsed.as_secs_f64());
    tracing::debug!(%method, route, status = status.as_u16(), ms = elapsed.as_millis() as u64, "request");
    response
}

/// Reads a whole body: 413 past [`BODY_LIMIT`], 408 when it takes longer than [`BODY_TIMEOUT`].
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {} MiB", BODY_LIMIT / (1024 * 1024)),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(too_large());
    }
    let limit = timeout("CAMP_BODY_TIMEOUT_MS", BODY_TIMEOUT);
    match tokio::time::timeout(limit, axum::body::to_bytes(body, BODY_LIMIT)).await {
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "the body did not arrive in time",
        )),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => {
            let limit = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if limit {
                Err(too_large())
            } else {
                Err(error(
                    StatusCode::BAD_REQUEST,
                    format!("the body could not be read: {e}"),
                ))
            }
        }
    }
}

/// A runner that went away: the server is stopping.
fn stopping() -> Response {
    let mut r = error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// A rejected body as an answer.
fn rejection(r: Rejection) -> Response {
    match r {
        Rejection::Input { line, message } => {
            tracing::info!(line, reason = %message, "body rejected");
            (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": message, "line": line })),
            )
                .into_response()
        }
        Rejection::Store(e) => store_error(&e),
    }
}

/// `POST /v1/events`: JSON Lines, validated whole, committed, then 202.
async fn post_events(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match read_body(&headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(answer) = state.runner.events(body) else {
        return stopping();
    };
    match answer.await {
        Err(_) => stopping(),
        Ok(Ok(n)) => {
            state.metrics.events_accepted.inc_by(n as u64);
            (StatusCode::ACCEPTED, Json(json!({ "accepted": n }))).into_response()
        }
        Ok(Err(r)) => rejection(r),
    }
}

/// `POST /v1/people`: a CSV body, or a JSON array of objects (by `Content-Type`, or by the
/// first character when it says neither).
async fn post_people(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match read_body(&headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let json = if content_type.contains("json") {
        true
    } else if content_type.contains("csv") {
        false
    } else {
        body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
    };
    let Some(answer) = state.runner.people(body, json) else {
        return stopping();
    };
    match answer.await {
        Err(_) => stopping(),
        Ok(Ok(s)) => Json(json!({
            "created": s.created,
            "updated": s.updated,
            "unchanged": s.unchanged,
        }))
        .into_response(),
        Ok(Err(r)) => rejection(r),
    }
}

/// Runs a read on a connection of the pool, off the async threads.
async fn read<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&dyn Store, &crate::check::ir::Program) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Response> {
    let state = Arc::clone(state);
    match tokio::task::spawn_blocking(move || state.reads.with(&state.current, f)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(store_error(&e)),
        Err(_) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, "the read failed")),
    }
}

/// `GET /v1/people/{who}`.
async fn get_person(State(state): State<Arc<AppState>>, Path(who): Path<String>) -> Response {
    let who2 = who.clone();
    match read(&state, move |s, p| reads::person(s, p, &who2)).await {
        Ok(Some(person)) => Json(person).into_response(),
        Ok(None) => no_person(&who),
        Err(r) => r,
    }
}

fn no_person(who: &str) -> Response {
    error(StatusCode::NOT_FOUND, format!("no person is `{who}`"))
}

/// `after` and `limit` of a listing.
#[derive(Debug, Default, Deserialize)]
struct PageParams {
    after: Option<i64>,
    since: Option<i64>,
    limit: Option<u32>,
    campaign: Option<String>,
}

impl PageParams {
    fn page(&self) -> Page {
        Page {
            after: self.after.or(self.since).unwrap_or(0),
            limit: self.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT),
        }
    }
}

/// `GET /v1/people/{who}/log`.
async fn get_person_log(
    State(state): State<Arc<AppState>>,
    Path(who): Path<String>,
    Query(params): Query<PageParams>,
) -> Response {
    let who2 = who.clone();
    let page = params.page();
    let result = read(&state, move |s, _| match reads::resolve_person(s, &who2)? {
        Some(id) => Ok(Some(reads::log(s, Some(id), None, page)?)),
        None => Ok(None),
    })
    .await;
    match result {
        Ok(Some(log)) => Json(log).into_response(),
        Ok(None) => no_person(&who),
        Err(r) => r,
    }
}

/// `GET /v1/log?campaign=C`.
async fn get_log(State(state): State<Arc<AppState>>, Query(params): Query<PageParams>) -> Response {
    let page = params.page();
    let campaign = params.campaign;
    match read(&state, move |s, _| reads::log(s, None, campaign, page)).await {
        Ok(log) => Json(log).into_response(),
        Err(r) => r,
    }
}

/// `GET /v1/outbox?since=ID`.
async fn get_outbox(
    State(state): State<Arc<AppState>>,
    Query(params): Query<PageParams>,
) -> Response {
    let page = params.page();
    match read(&state, move |s, _| reads::outbox(s, page)).await {
        Ok(rows) => Json(rows).into_response(),
        Err(r) => r,
    }
}

/// `GET /v1/campaigns`.
async fn get_campaigns(State(state): State<Arc<AppState>>) -> Response {
    match read(&state, reads::campaigns).await {
        Ok(rows) => Json(rows).into_response(),
        Err(r) => r,
    }
}

/// The parameters of `GET /v1/explain`.
#[derive(Debug, Default, Deserialize)]
pub struct ExplainParams {
    /// The person, by id or email.
    pub person: Option<String>,
    /// The campaign, by name.
    pub campaign: Option<String>,
    /// The instant to explain (RFC 3339; default: the store's clock).
    pub at: Option<String>,
    /// An activity to explain instead of a person and a campaign.
    pub activity: Option<i64>,
}

/// What an explanation request asks.
enum Question {
    Person {
        person: String,
        campaign: String,
        at: Option<i64>,
    },
    Activity(i64),
}

/// `GET /v1/explain?person=P&campaign=C[&at=T]` or `GET /v1/explain?activity=ID`: the JSON
/// object of `camp explain --format json` (LANGUAGE.md 12) for the program in force, read
/// through a read-only connection; 404 with a suggestion when the person, the campaign or the
/// activity is unknown.
async fn get_explain(
    State(state): State<Arc<AppState>>,
    Query(params): Query<ExplainParams>,
) -> Response {
    let question = match params {
        ExplainParams {
            activity: Some(id),
            person: None,
            campaign: None,
            at: None,
        } => Question::Activity(id),
        ExplainParams {
            activity: None,
            person: Some(person),
            campaign: Some(campaign),
            at,
        } => {
            let at = match at.as_deref().map(chrono::DateTime::parse_from_rfc3339) {
                None => None,
                Some(Ok(t)) => Some(t.timestamp()),
                Some(Err(_)) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "`at` is not an RFC 3339 instant: write it like `2026-03-01T09:00:00Z`, not `{}`",
                            at.unwrap_or_default()
                        ),
                    )
                }
            };
            Question::Person {
                person,
                campaign,
                at,
            }
        }
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "ask `person` and `campaign` (and optionally `at`), or `activity` alone",
            )
        }
    };
    let state2 = Arc::clone(&state);
    let answer = tokio::task::spawn_blocking(move || {
        state2
            .reads
            .with_live(&state2.current, |store, live| match question {
                Question::Activity(id) => {
                    Ok(explain_activity(&live.program, &live.texts, store, id)?
                        .ok_or_else(|| format!("the log has no activity {id}")))
                }
                Question::Person {
                    person,
                    campaign,
                    at,
                } => match explain_named(&live.program, &live.texts, store, &person, &campaign, at)
                {
                    Ok(e) => Ok(Ok(e)),
                    Err(LookupError::Unknown(message)) => Ok(Err(message)),
                    Err(LookupError::Store(e)) => Err(e),
                },
            })
    })
    .await;
    match answer {
        Ok(Ok(Ok(explanation))) => Json(explanation).into_response(),
        Ok(Ok(Err(message))) => error(StatusCode::NOT_FOUND, message),
        Ok(Err(e)) => store_error(&e),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "the read failed"),
    }
}

/// `GET /health`: 200 when the store answers.
async fn get_health(State(state): State<Arc<AppState>>) -> Response {
    match read(&state, |s, _| s.clock()).await {
        Ok(clock) => Json(json!({
            "status": "ok",
            "clock": clock.map(crate::engine::value::rfc3339),
        }))
        .into_response(),
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the store does not answer"),
    }
}

/// `GET /metrics`.
async fn get_metrics(State(state): State<Arc<AppState>>) -> Response {
    let metrics = Arc::clone(&state.metrics);
    match read(&state, move |s, _| metrics.render(s)).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4"),
            )],
            text,
        )
            .into_response(),
        Err(r) => r,
    }
}

/// The answer when [`IN_FLIGHT`] requests are in progress.
async fn overloaded(_: tower::BoxError) -> Response {
    let mut r = error(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("too many requests in progress (at most {IN_FLIGHT})"),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Serves `state` on `listener` (HTTPS with `tls`, a rustls configuration) until `handle` is
/// told to shut down.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    state: Arc<AppState>,
    handle: axum_server::Handle,
) -> std::io::Result<()> {
    let service = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(overloaded))
        .load_shed()
        .concurrency_limit(IN_FLIGHT)
        .service(router(state));
    let make = tower::make::Shared::new(service);
    let addr: SocketAddr = listener.local_addr()?;
    let _ = addr;
    match tls {
        None => {
            let mut server = axum_server::from_tcp(listener).handle(handle);
            configure(server.http_builder());
            server.serve(make).await
        }
        Some(config) => {
            let mut server = axum_server::from_tcp_rustls(listener, config).handle(handle);
            configure(server.http_builder());
            server.serve(make).await
        }
    }
}

/// HTTP/1 with a time-out on headers (HTTP/2 is not offered).
fn configure(builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>) {
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(timeout("CAMP_HEADER_TIMEOUT_MS", HEADER_TIMEOUT));
}
