//! The read-only web view of `camp serve`, at `/`: server-rendered HTML (maud, which escapes
//! everything it interpolates), one embedded stylesheet, no script.
//!
//! - [`pages`] lay out the campaigns, one campaign (its smart list as written, its flow as
//!   `camp graph` draws it, its entries per day), one person (fields, lists, campaigns, log),
//!   the schedule's month calendar, and explanations;
//! - [`queries`] read what they show through the read-only connections of [`super::reads`],
//!   like the JSON API: never through the runner;
//! - [`session`] keeps the login's cookie when `CAMP_API_KEYS` is set; [`layout`] is the frame,
//!   the stylesheet and the answers' headers; [`handlers`] ties them to the routes.
//!
//! Choices where the contract is silent are in `docs/serve.md`, "Web view".

pub mod handlers;
pub mod layout;
pub mod pages;
pub mod queries;
pub mod session;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use super::auth::Verdict;
use super::http::AppState;
pub use session::Sessions;

/// The pages' routes, those behind a session and those before it (the login form, the
/// stylesheet).
pub fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(handlers::campaigns))
        .route("/campaigns/{name}", get(handlers::campaign))
        .route("/people/{who}", get(handlers::person))
        .route("/search", get(handlers::search))
        .route("/schedule", get(handlers::schedule))
        .route("/explain", get(handlers::explain))
        .route_layer(middleware::from_fn_with_state(state, require_session))
        .route("/login", get(handlers::login_form).post(handlers::login))
        .route("/logout", post(handlers::logout))
        .route(layout::STYLE_PATH, get(|| async { layout::stylesheet() }))
}

/// Whether a request has a session: no key is configured, its session cookie is valid, or it
/// carries an API key like the JSON API's requests.
pub fn has_session(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    if state.keys.is_empty() {
        return true;
    }
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .map(HeaderValue::as_bytes);
    if session::cookie_value(cookies)
        .is_some_and(|v| state.sessions.valid(v, chrono::Utc::now().timestamp()))
    {
        return true;
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    auth.is_some() && state.keys.check(auth) == Verdict::Allowed
}

/// Pages without a session send to the login form, which comes back to them after.
async fn require_session(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if has_session(&state, req.headers()) {
        return next.run(req).await;
    }
    let target = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    see_other(&format!("/login?next={}", layout::encode(&target)))
}

/// A `303 See Other` to `location`.
pub fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    layout::secure(r.headers_mut());
    r
}

/// Whether a request for an unknown path wants a page rather than JSON: it accepts HTML and
/// is not under the API's `/v1/`.
pub fn wants_page(path: &str, headers: &axum::http::HeaderMap) -> bool {
    !path.starts_with("/v1/")
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}
