//! The frame of every page (skip link, site header with navigation and the search by email,
//! footer), the embedded stylesheet, and HTML answers with their security headers.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono_tz::Tz;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::engine::value::{local_reading, rfc3339};

/// The stylesheet, served at [`STYLE_PATH`].
pub const STYLE: &str = include_str!("style.css");
/// Where the stylesheet is served.
pub const STYLE_PATH: &str = "/style.css";

/// The section of the site a page belongs to, marked in the navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// The campaigns and one campaign.
    Campaigns,
    /// The schedule.
    Schedule,
    /// People, explanations, search.
    People,
    /// The login page (no navigation).
    Login,
}

/// What the frame needs to know besides the page.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    /// Whether pages need a session (a logout button is shown).
    pub sessions: bool,
    /// The store's clock, shown in the footer (`None`: not started, or not read).
    pub clock: Option<i64>,
    /// The script's time zone.
    pub tz: Tz,
}

/// A whole page: `title` (also the `<h1>` unless the body brings its own), the section, the
/// body.
pub fn page(title: &str, section: Section, frame: &Frame, body: Markup) -> Markup {
    let nav = [
        (Section::Campaigns, "/", "Campaigns"),
        (Section::Schedule, "/schedule", "Schedule"),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — camp" }
                link rel="stylesheet" href=(STYLE_PATH);
                link rel="icon" href="data:,";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    a.name href="/" { "camp" }
                    @if section != Section::Login {
                        nav aria-label="Main" {
                            ul {
                                @for (s, href, label) in nav {
                                    li {
                                        @if s == section {
                                            a href=(href) aria-current="page" { (label) }
                                        } @else {
                                            a href=(href) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                        form.search method="get" action="/search" role="search" {
                            label for="search-email" { "Person by email" }
                            input #search-email type="email" name="email" required autocomplete="off";
                            button type="submit" { "Find" }
                        }
                        @if frame.sessions {
                            form method="post" action="/logout" {
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    (body)
                }
                @if section != Section::Login {
                    footer {
                        @if let Some(t) = frame.clock {
                            "Store clock: " (time(t, frame.tz)) ". "
                        }
                        "Times are shown in the scripts' time zone, " (frame.tz.name()) "."
                    }
                }
            }
        }
    }
}

/// Instant `t` as a `<time>` element read in `tz` (without the zone's name, which the page
/// says once).
pub fn time(t: i64, tz: Tz) -> Markup {
    html! { time datetime=(rfc3339(t)) { (local_reading(t, tz)) } }
}

/// An HTML answer with `status`, marked uncacheable and framed by nothing else.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut r = (status, markup).into_response();
    secure(r.headers_mut());
    r
}

/// The headers every HTML answer carries: a strict content security policy (the pages use
/// no script, and styles only from the stylesheet), no framing, no sniffing, no referrer, no
/// caching.
pub fn secure(headers: &mut axum::http::HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The stylesheet as an answer.
pub fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        STYLE,
    )
        .into_response()
}

/// A page that says something went wrong or was not found: `status`, a title and a message.
pub fn problem(status: StatusCode, title: &str, message: Markup, frame: &Frame) -> Response {
    respond(
        status,
        page(
            title,
            Section::People,
            frame,
            html! {
                h1 { (title) }
                p { (message) }
                p { a href="/" { "Back to the campaigns" } }
            },
        ),
    )
}

/// Percent-encodes `s` for a path segment or a query value (everything but unreserved
/// characters).
pub fn encode(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Markup from text that is already HTML (the flow's SVG, made by `camp graph`, which
/// escapes every text it draws).
pub fn trusted(svg: String) -> Markup {
    PreEscaped(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(encode("Welcome 1"), "Welcome%201");
        assert_eq!(encode("a/b?c&d=é"), "a%2Fb%3Fc%26d%3D%C3%A9");
        assert_eq!(encode("x-y_z.~"), "x-y_z.~");
    }
}
