//! Progress bars for long work on a terminal (`camp run`, `camp import`): people done of the
//! total, the rate and the time left, drawn on standard error and cleared when the work ends.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::engine::run::Progress;

/// The bar of the work in progress, if any.
#[derive(Default)]
pub struct Bars {
    bar: Option<(String, ProgressBar)>,
}

impl Bars {
    /// No bar yet.
    pub fn new() -> Bars {
        Bars::default()
    }

    /// Shows `p`: a new bar for new work, the same bar moved on otherwise; the bar is cleared
    /// when the work is done. Work that ends before its first report shows nothing.
    pub fn update(&mut self, p: &Progress<'_>) {
        let finished = p.total.is_some_and(|t| p.done >= t);
        if self.bar.as_ref().is_some_and(|(work, _)| work != p.work) {
            self.clear();
        }
        if self.bar.is_none() {
            if finished {
                return;
            }
            let bar = new_bar(p);
            self.bar = Some((p.work.to_string(), bar));
        }
        if let Some((_, bar)) = &self.bar {
            bar.set_position(p.done);
            if finished {
                self.clear();
            }
        }
    }

    /// Removes the bar from the screen.
    pub fn clear(&mut self) {
        if let Some((_, bar)) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.clear();
    }
}

fn new_bar(p: &Progress<'_>) -> ProgressBar {
    // The rate and the time left count from the bar's first report: the work done before it
    // was not timed.
    let first = p.done;
    let rate = move |state: &ProgressState| -> Option<f64> {
        let secs = state.elapsed().as_secs_f64();
        let done = state.pos().saturating_sub(first);
        (secs >= 0.2 && done > 0).then(|| done as f64 / secs)
    };
    let per_sec = move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = match rate(state) {
            Some(r) => write!(w, "{r:.0}/s"),
            None => write!(w, "…/s"),
        };
    };
    let left = move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
        let rest = state.len().unwrap_or(0).saturating_sub(state.pos()) as f64;
        let _ = match rate(state) {
            Some(r) => write!(w, "{}s left", (rest / r).ceil() as u64),
            None => write!(w, "… left"),
        };
    };
    let (bar, template) = match p.total {
        Some(total) => (
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
                .with_position(p.done),
            "{msg} [{bar:30}] {pos}/{len} people, {rate}, {left}",
        ),
        None => (
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_position(p.done),
            "{msg} {spinner} {pos} people, {rate}",
        ),
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", per_sec)
        .with_key("left", left)
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(p.work.to_string());
    bar
}
