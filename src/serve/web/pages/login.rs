//! `/login`: the form that asks for one of `CAMP_API_KEYS` and opens a session.

use maud::{html, Markup};

use super::super::layout::{page, Frame, Section};

/// The login page, with an error when a key was refused; `next` is where to go after.
pub fn render(next: &str, error: Option<&str>, frame: &Frame) -> Markup {
    let body = html! {
        h1 { "Log in" }
        p { "This server needs one of its API keys (" code { "CAMP_API_KEYS" } ")." }
        @if let Some(e) = error {
            p.error #login-error role="alert" { (e) }
        }
        form.login method="post" action="/login" {
            input type="hidden" name="next" value=(next);
            label for="key" { "API key" }
            input #key type="password" name="key" required autocomplete="current-password" autofocus;
            button type="submit" { "Log in" }
        }
    };
    page("Log in", Section::Login, frame, body)
}
