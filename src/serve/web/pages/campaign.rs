//! `/campaigns/{name}`: one campaign: its facts, its smart list as the script writes it, its
//! flow as `camp graph` draws it, its entries per day and the people waiting in it.

use maud::{html, Markup};

use super::super::layout::{page, time, trusted, Frame, Section};
use super::super::queries::{CampaignView, DAYS_SHOWN, RECENT_DAYS, WAITING_SHOWN};
use super::campaigns::count;
use crate::explain::texts::ListTexts;

/// What the campaign page shows besides what the store says.
pub struct Script<'a> {
    /// The smart list's filters and triggers as written.
    pub list: &'a ListTexts,
    /// The qualification rule as written.
    pub qualify: &'a str,
    /// The flow picture (SVG), or why there is none.
    pub flow: Result<String, String>,
}

/// The campaign page.
pub fn render(v: &CampaignView, script: &Script<'_>, frame: &Frame) -> Markup {
    let r = &v.row;
    let list = script.list;
    let body = html! {
        h1 { "Campaign " q { (r.name) } }
        dl.facts #facts {
            dt { "Kind" } dd { (r.kind) }
            dt { "State" } dd class={ "state-" (r.state) } { (r.state) }
            dt { "Qualification" } dd { code { (script.qualify) } }
            dt { "People waiting" } dd #waiting-count { (r.waiting) }
            dt { "Entries" } dd { (r.entries) " in all, " (r.recent) " in the last " (RECENT_DAYS) " days" }
            dt { "Next run" }
            dd {
                @match r.next_run {
                    Some(t) => { (time(t, frame.tz)) " (" (frame.tz.name()) ")" },
                    None => "none",
                }
            }
        }
        section aria-labelledby="smart-list" {
            h2 #smart-list { "Smart list" }
            @if list.triggers.is_empty() && list.filters.is_empty() {
                p { "No trigger and no filter: the campaign runs only when executed or requested." }
            }
            @if !list.triggers.is_empty() {
                h3 { (count(list.triggers.len() as u64, "trigger", "triggers")) " (any of them)" }
                ul.triggers #triggers {
                    @for t in &list.triggers { li { code { (t) } } }
                }
            }
            @if !list.filters.is_empty() {
                h3 { (count(list.filters.len() as u64, "filter", "filters")) }
                ol.filters #filters {
                    @for f in &list.filters { li { code { (f) } } }
                }
                p { "Match: " code { (list.logic()) } }
            }
        }
        section aria-labelledby="flow" {
            h2 #flow { "Flow" }
            @match &script.flow {
                Ok(svg) => {
                    figure.flow role="group" aria-labelledby="flow-caption" {
                        figcaption #flow-caption { "The flow of " q { (r.name) } ", as " code { "camp graph" } " draws it." }
                        (trusted(svg.clone()))
                    }
                }
                Err(why) => p { "No picture: " (why) },
            }
        }
        section aria-labelledby="per-day" {
            h2 #per-day { "Entries per day" }
            @if v.per_day.is_empty() {
                p { "The store's clock has not started: no entries yet." }
            } @else {
                (per_day_table(v))
            }
        }
        section aria-labelledby="people-waiting" {
            h2 #people-waiting { "People waiting" }
            @if v.waiting.is_empty() {
                p { "Nobody is waiting in this flow." }
            } @else {
                @if r.waiting as usize > v.waiting.len() {
                    p.note { "The " (WAITING_SHOWN) " who wake first, of " (r.waiting) "." }
                }
                div.scroll {
                    table.stack #waiting {
                        caption.visually-hidden { "People waiting in the flow" }
                        thead {
                            tr {
                                th scope="col" { "Person" }
                                th scope="col" { "At step" }
                                th scope="col" { "Wakes at (" (frame.tz.name()) ")" }
                            }
                        }
                        tbody {
                            @for w in &v.waiting {
                                tr {
                                    th scope="row" {
                                        a href={ "/people/" (w.person) } {
                                            @match &w.email { Some(e) => (e), None => { "person " (w.person) } }
                                        }
                                    }
                                    td.mono data-label="At step" { (w.step) }
                                    td data-label="Wakes at" { (time(w.wake_at, frame.tz)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(
        &format!("Campaign {}", r.name),
        Section::Campaigns,
        frame,
        body,
    )
}

/// The entries of the last days as a table, each count with a bar as long as its share of
/// the largest (the number says it; the bar only repeats it).
fn per_day_table(v: &CampaignView) -> Markup {
    let max = v.per_day.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let total: u64 = v.per_day.iter().map(|(_, n)| *n).sum();
    html! {
        p { (count(total, "entry", "entries")) " in the last " (DAYS_SHOWN) " days (days in the scripts' time zone)." }
        div.scroll {
            table #entries-per-day {
                caption.visually-hidden { "Entries per day" }
                thead {
                    tr {
                        th scope="col" { "Day" }
                        th.num scope="col" { "Entries" }
                        th scope="col" { span.visually-hidden { "Bar" } }
                    }
                }
                tbody {
                    @for (day, n) in &v.per_day {
                        tr {
                            th scope="row" { time datetime=(day.format("%Y-%m-%d")) { (day.format("%a %Y-%m-%d")) } }
                            td.num { (n) }
                            td {
                                svg.bar viewBox="0 0 160 12" preserveAspectRatio="none" aria-hidden="true" focusable="false" {
                                    rect x="0" y="1" width=(format!("{:.0}", 160.0 * *n as f64 / max as f64)) height="10" fill="#555" {}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
