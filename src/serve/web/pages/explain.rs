//! `/explain`: an explanation as `camp explain` writes it (verdicts in words), for a person
//! and a campaign, or for one activity.

use maud::{html, Markup};

use super::super::layout::{encode, page, Frame, Section};

/// What is explained.
pub enum Subject {
    /// Would the person qualify for the campaign, and where are they in its flow.
    Person {
        /// The person's id.
        id: i64,
        /// Their email or `person N`.
        name: String,
        /// The campaign.
        campaign: String,
    },
    /// Why an activity happened.
    Activity {
        /// The activity's id.
        id: i64,
        /// Its person's id and name.
        person: Option<(i64, String)>,
    },
}

/// The explanation page: `text` is `camp explain`'s human output.
pub fn render(subject: &Subject, text: &str, frame: &Frame) -> Markup {
    let (title, body) = match subject {
        Subject::Person { id, name, campaign } => (
            format!("{name} and {campaign}"),
            html! {
                h1 { "Would " (name) " qualify for " q { (campaign) } "?" }
                p {
                    "Back to " a href={ "/people/" (id) } { (name) }
                    " or the campaign " a href={ "/campaigns/" (encode(campaign)) } { (campaign) } "."
                }
            },
        ),
        Subject::Activity { id, person } => (
            format!("Activity {id}"),
            html! {
                h1 { "Why activity " (id) " happened" }
                @if let Some((pid, name)) = person {
                    p { "Back to " a href={ "/people/" (pid) } { (name) } "." }
                }
            },
        ),
    };
    let body = html! {
        (body)
        pre #explanation { (text) }
        p.note { "The same as " code { "camp explain" } " prints; times in " (frame.tz.name()) "." }
    };
    page(&title, Section::People, frame, body)
}
