//! `/`: every campaign with its kind, state, people waiting, recent entries and next run.

use maud::{html, Markup};

use super::super::layout::{encode, page, time, Frame, Section};
use super::super::queries::{CampaignRow, RECENT_DAYS};

/// The campaigns page.
pub fn render(rows: &[CampaignRow], frame: &Frame) -> Markup {
    let waiting: u64 = rows.iter().map(|r| r.waiting).sum();
    let body = html! {
        h1 { "Campaigns" }
        p #summary {
            (count(rows.len() as u64, "campaign", "campaigns")) ", "
            (count(waiting, "person waiting", "people waiting")) " in their flows."
        }
        @if rows.is_empty() {
            p { "The scripts declare no campaign." }
        } @else {
            div.scroll {
                table.stack #campaigns {
                    caption.visually-hidden { "Campaigns, with their state and activity" }
                    thead {
                        tr {
                            th scope="col" { "Campaign" }
                            th scope="col" { "Kind" }
                            th scope="col" { "State" }
                            th.num scope="col" { "People waiting" }
                            th.num scope="col" { "Entries, last " (RECENT_DAYS) " days" }
                            th scope="col" { "Next run (" (frame.tz.name()) ")" }
                        }
                    }
                    tbody {
                        @for r in rows {
                            tr {
                                th scope="row" {
                                    a href={ "/campaigns/" (encode(&r.name)) } { (r.name) }
                                }
                                td data-label="Kind" { (r.kind) }
                                td class={ "state-" (r.state) } data-label="State" { (r.state) }
                                td.num data-label="People waiting" { (r.waiting) }
                                td.num data-label={ "Entries, last " (RECENT_DAYS) " days" } { (r.recent) }
                                td data-label="Next run" {
                                    @match r.next_run {
                                        Some(t) => (time(t, frame.tz)),
                                        None => span.note { "none" },
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page("Campaigns", Section::Campaigns, frame, body)
}

/// `1 campaign`, `2 campaigns`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
