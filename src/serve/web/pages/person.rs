//! `/people/{id}`: one person: their fields, lists, where they are in each campaign, and their
//! activity log with a link to why each activity happened.

use maud::{html, Markup};

use super::super::layout::{encode, page, time, Frame, Section};
use super::super::queries::{PersonView, LOG_SHOWN};
use super::campaigns::count;

/// How a person is named in titles: their email, or their id.
pub fn name(v: &PersonView) -> String {
    v.email
        .clone()
        .unwrap_or_else(|| format!("person {}", v.id))
}

/// The person page; `campaigns` are the program's campaigns, for the explanation form.
pub fn render(v: &PersonView, campaigns: &[String], frame: &Frame) -> Markup {
    let title = name(v);
    let body = html! {
        h1 { (title) }
        section aria-labelledby="fields" {
            h2 #fields { "Fields" }
            dl.facts #field-values {
                dt { "id" } dd { (v.id) }
                @for (field, value) in &v.fields {
                    dt { (field) }
                    dd {
                        @if value.is_empty() { span.note { "empty" } } @else { (value) }
                    }
                }
            }
        }
        section aria-labelledby="lists" {
            h2 #lists { "Lists" }
            @if v.lists.is_empty() {
                p { "In no static list." }
            } @else {
                ul #list-names { @for l in &v.lists { li { (l) } } }
            }
        }
        section aria-labelledby="campaigns" {
            h2 #campaigns { "Campaigns" }
            @if v.positions.is_empty() {
                p { "Has not qualified for any campaign." }
            } @else {
                div.scroll {
                    table.stack #positions {
                        caption.visually-hidden { "Where the person is in each campaign" }
                        thead {
                            tr {
                                th scope="col" { "Campaign" }
                                th scope="col" { "Now" }
                                th scope="col" { "Qualified (" (frame.tz.name()) ")" }
                                th scope="col" { "Last entered" }
                                th scope="col" { "Explanation" }
                            }
                        }
                        tbody {
                            @for p in &v.positions {
                                tr {
                                    th scope="row" { a href={ "/campaigns/" (encode(&p.campaign)) } { (p.campaign) } }
                                    td data-label="Now" {
                                        @if p.waits.is_empty() {
                                            "not in the flow"
                                        } @else {
                                            @for (step, wake) in &p.waits {
                                                "waiting at step " code { (step) } " until " (time(*wake, frame.tz)) br;
                                            }
                                        }
                                    }
                                    td data-label="Qualified" { @match p.member_since { Some(t) => (time(t, frame.tz)), None => span.note { "no" } } }
                                    td data-label="Last entered" { @match p.last_entered { Some(t) => (time(t, frame.tz)), None => span.note { "never" } } }
                                    td data-label="Explanation" {
                                        a href={ "/explain?person=" (v.id) "&campaign=" (encode(&p.campaign)) } {
                                            "Explain" span.visually-hidden { " " (title) " in " (p.campaign) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !campaigns.is_empty() {
                form.explain method="get" action="/explain" {
                    input type="hidden" name="person" value=(v.id);
                    label for="explain-campaign" { "Would they qualify for " }
                    " "
                    select #explain-campaign name="campaign" {
                        @for c in campaigns { option value=(c) { (c) } }
                    }
                    " "
                    button type="submit" { "Explain" }
                }
            }
        }
        section aria-labelledby="log" {
            h2 #log { "Activity log" }
            @if v.log.is_empty() {
                p { "No activity." }
            } @else {
                @if v.log_total as usize > v.log.len() {
                    p.note { "The last " (LOG_SHOWN) " of " (count(v.log_total, "activity", "activities")) "." }
                } @else {
                    p { (count(v.log_total, "activity", "activities")) "." }
                }
                div.scroll {
                    table.stack #activities {
                        caption.visually-hidden { "Activity log, oldest first" }
                        thead {
                            tr {
                                th scope="col" { "Id" }
                                th scope="col" { "At (" (frame.tz.name()) ")" }
                                th scope="col" { "Activity" }
                                th scope="col" { "Campaign" }
                                th scope="col" { "Step" }
                                th scope="col" { "Outcome" }
                                th scope="col" { "Why" }
                            }
                        }
                        tbody {
                            @for a in &v.log {
                                tr {
                                    th.num scope="row" { span.label { "Activity " } (a.id) }
                                    td data-label="At" { (time(a.at, frame.tz)) }
                                    td data-label="Activity" {
                                        code { (a.kind) }
                                        @if let Some(p) = &a.primary { " " q { (p) } }
                                    }
                                    td data-label="Campaign" {
                                        @if let Some(c) = &a.campaign {
                                            a href={ "/campaigns/" (encode(c)) } { (c) }
                                        }
                                    }
                                    td.mono data-label="Step" { (a.step.as_deref().unwrap_or("")) }
                                    td class={ "outcome-" (a.outcome.as_str()) } data-label="Outcome" {
                                        (a.outcome.as_str())
                                        @if let Some(r) = &a.reason { " (" (r) ")" }
                                    }
                                    td data-label="Why" {
                                        a href={ "/explain?activity=" (a.id) } {
                                            "why" span.visually-hidden { " activity " (a.id) " happened" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(&title, Section::People, frame, body)
}
