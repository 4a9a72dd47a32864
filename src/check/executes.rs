//! Chains of `execute campaign`: at most three executable campaigns deep (caller → A → B → C),
//! and never a cycle (`camp::flow::execute_depth`).

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{CampaignKind, Span};

use super::graph::{cycle_through, cyclic_components};
use super::ir::{self, StepKind};
use super::Ctx;

/// The deepest chain of executable campaigns a caller may start.
pub(crate) const MAX_DEPTH: usize = 3;

fn executes(steps: &[ir::Step], out: &mut Vec<(usize, Span)>) {
    for s in steps {
        match &s.kind {
            StepKind::ExecuteCampaign(c) => out.push((c.index(), s.span)),
            StepKind::If {
                branches,
                otherwise,
            } => {
                for (_, b) in branches {
                    executes(b, out);
                }
                if let Some(b) = otherwise {
                    executes(b, out);
                }
            }
            _ => {}
        }
    }
}

/// Reports executable cycles and chains deeper than [`MAX_DEPTH`].
pub(crate) fn check(cx: &mut Ctx<'_>, campaigns: &[ir::Campaign]) {
    let n = campaigns.len();
    let edges: Vec<Vec<(usize, Span)>> = campaigns
        .iter()
        .map(|c| {
            let mut out = Vec::new();
            executes(&c.flow, &mut out);
            out.retain(|(t, _)| {
                campaigns
                    .get(*t)
                    .is_some_and(|t| t.kind == CampaignKind::Executable)
            });
            out
        })
        .collect();
    let adj: Vec<Vec<usize>> = edges
        .iter()
        .map(|e| e.iter().map(|(t, _)| *t).collect())
        .collect();
    let mut in_cycle = vec![false; n];
    for comp in cyclic_components(&adj) {
        for &v in &comp {
            in_cycle[v] = true;
        }
        let Some(&start) = comp.first() else { continue };
        let cycle = cycle_through(&adj, &comp, start);
        let mut spans = Vec::new();
        for (k, &from) in cycle.iter().enumerate() {
            let to = cycle[(k + 1) % cycle.len()];
            if let Some((_, s)) = edges[from].iter().find(|(t, _)| *t == to) {
                spans.push((*s, to));
            }
        }
        let mut names: Vec<String> = cycle
            .iter()
            .map(|&i| format!("`{}`", campaigns[i].name))
            .collect();
        names.push(names[0].clone());
        let Some(&(primary, _)) = spans.first() else {
            continue;
        };
        let mut d = Diagnostic::error(
            "camp::flow::execute_depth",
            primary,
            format!(
                "executable campaigns execute each other: {}",
                names.join(" → ")
            ),
        )
        .with_label("this starts the cycle")
        .with_help("an executable campaign cannot run itself, directly or through others");
        for (s, to) in spans.iter().skip(1) {
            d = d.with_secondary(*s, format!("executes `{}`", campaigns[*to].name));
        }
        cx.report(d);
    }

    // height: how many executable campaigns deep a chain starting at an executable goes
    let mut height = vec![0usize; n];
    let mut done = vec![false; n];
    for root in 0..n {
        if done[root] {
            continue;
        }
        let mut stack = vec![(root, false)];
        while let Some((v, expanded)) = stack.pop() {
            if done[v] {
                continue;
            }
            if expanded {
                let best = adj[v]
                    .iter()
                    .filter(|&&w| !in_cycle[w])
                    .map(|&w| height[w])
                    .max()
                    .unwrap_or(0);
                height[v] = usize::from(campaigns[v].kind == CampaignKind::Executable) + best;
                done[v] = true;
                continue;
            }
            stack.push((v, true));
            for &w in &adj[v] {
                if !done[w] && !in_cycle[w] {
                    stack.push((w, false));
                }
            }
        }
    }
    for (k, c) in campaigns.iter().enumerate() {
        if c.kind != CampaignKind::Executable || in_cycle[k] {
            continue;
        }
        for (t, span) in &edges[k] {
            if in_cycle[*t] || height[*t] < MAX_DEPTH {
                continue;
            }
            let mut chain = vec![format!("`{}`", c.name)];
            let mut v = *t;
            loop {
                chain.push(format!("`{}`", campaigns[v].name));
                match adj[v]
                    .iter()
                    .filter(|&&w| !in_cycle[w])
                    .max_by_key(|&&w| height[w])
                {
                    Some(&w) if height[w] > 0 => v = w,
                    _ => break,
                }
            }
            cx.report(
                Diagnostic::error(
                    "camp::flow::execute_depth",
                    *span,
                    format!(
                        "executable campaigns are chained {} deep: {}",
                        chain.len(),
                        chain.join(" → ")
                    ),
                )
                .with_label("one executable campaign too many")
                .with_help(format!(
                    "a flow can run executable campaigns at most {MAX_DEPTH} deep (caller → A → B → C)"
                )),
            );
        }
    }
}
