//! Smart lists: numbered filters with their `match` logic, top-level smart lists (no triggers)
//! and the `member of smart list` cycles between them.

use std::collections::BTreeSet;

use crate::diagnostic::Diagnostic;
use crate::syntax::ast::{self, BoolExpr, ConditionKind, Item, MatchLogic, Spanned};

use super::conditions::{ambiguous, condition};
use super::graph::{cycle_through, cyclic_components};
use super::ir::{Cond, Filters, Logic, LogicExpr, SmartList};
use super::Ctx;

/// Checks every top-level smart list; returns the kept ones (indexed like the name table).
pub(crate) fn check_all(cx: &mut Ctx<'_>) -> Vec<SmartList> {
    let mut out = Vec::with_capacity(cx.names.smart_lists.len());
    let items = cx.names.items.clone();
    for item in items {
        let Item::SmartList(s) = item else { continue };
        for t in &s.body.triggers {
            cx.report(
                Diagnostic::error(
                    "camp::smart_list::trigger_outside_campaign",
                    t.span,
                    format!("smart list `{}` holds a trigger", s.name.text),
                )
                .with_label("triggers belong in a campaign's smart list")
                .with_help(
                    "move the trigger into a campaign, or use the matching history filter here",
                ),
            );
        }
        let filters = filters(cx, &s.body);
        if cx.names.smart_lists.is_kept(&s.name.text, s) {
            out.push(SmartList {
                name: s.name.text.clone(),
                filters,
                span: s.name.span,
            });
        }
    }
    check_cycles(cx);
    out
}

/// The filters of a smart list body with their `match` logic.
pub(crate) fn filters(cx: &mut Ctx<'_>, body: &ast::SmartListBody) -> Filters {
    let conditions: Vec<Cond> = body
        .filters
        .iter()
        .map(|f| condition(cx, &f.condition).unwrap_or(Cond::AllPeople))
        .collect();
    for extra in body.matches.iter().skip(1) {
        let mut d = Diagnostic::error(
            "camp::campaign::statement",
            extra.span,
            "`match` is written more than once",
        )
        .with_label("second `match`")
        .with_help("combine the two into one `match` line");
        if let Some(first) = body.matches.first() {
            d = d.with_secondary(first.span, "first `match`");
        }
        cx.report(d);
    }
    let logic = match body.matches.first().map(|m| &m.logic) {
        None | Some(MatchLogic::All) => Logic::All,
        Some(MatchLogic::Any) => Logic::Any,
        Some(MatchLogic::Expr(e)) => {
            let mut used = BTreeSet::new();
            let n = body.filters.len();
            let expr = logic_expr(cx, e, n, &mut used);
            for (i, f) in body.filters.iter().enumerate() {
                if !used.contains(&i) {
                    cx.report(
                        Diagnostic::warning(
                            "camp::smart_list::unused_filter",
                            f.span,
                            format!("filter {} is not used by `match`", i + 1),
                        )
                        .with_label("never mentioned")
                        .with_help(format!(
                            "mention {} in the `match` line, or remove the filter",
                            i + 1
                        )),
                    );
                }
            }
            match expr {
                Some(e) => Logic::Expr(e),
                None => Logic::All,
            }
        }
    };
    Filters { conditions, logic }
}

fn logic_expr(
    cx: &mut Ctx<'_>,
    e: &BoolExpr<Spanned<u32>>,
    n: usize,
    used: &mut BTreeSet<usize>,
) -> Option<LogicExpr> {
    let list = |cx: &mut Ctx<'_>, xs: &[BoolExpr<Spanned<u32>>], used: &mut BTreeSet<usize>| {
        let v: Vec<Option<LogicExpr>> = xs.iter().map(|x| logic_expr(cx, x, n, used)).collect();
        v.into_iter().collect::<Option<Vec<_>>>()
    };
    match e {
        BoolExpr::Atom(num) => {
            let k = num.node as usize;
            if k >= 1 && k <= n {
                used.insert(k - 1);
                Some(LogicExpr::Filter(k - 1))
            } else {
                let help = match n {
                    0 => "this smart list has no filters".to_string(),
                    1 => "there is only filter 1".to_string(),
                    _ => format!("filters are numbered 1 to {n}, in the order they are written"),
                };
                cx.report(
                    Diagnostic::error(
                        "camp::smart_list::unknown_filter",
                        num.span,
                        format!("there is no filter {}", num.node),
                    )
                    .with_label("no such filter")
                    .with_help(help),
                );
                None
            }
        }
        BoolExpr::Not(x, _) => Some(LogicExpr::Not(Box::new(logic_expr(cx, x, n, used)?))),
        BoolExpr::Group(x, _) => logic_expr(cx, x, n, used),
        BoolExpr::And(xs, _) => list(cx, xs, used).map(LogicExpr::And),
        BoolExpr::Or(xs, _) => list(cx, xs, used).map(LogicExpr::Or),
        BoolExpr::Mixed { items, ops, span } => {
            list(cx, items, used);
            cx.report(ambiguous(*span, ops));
            None
        }
    }
}

/// The `member of smart list` conditions of a smart list's filters: the name and the condition.
fn references(body: &ast::SmartListBody) -> impl Iterator<Item = (&ast::Name, ast::Span)> {
    body.filters.iter().filter_map(|f| match &f.condition.kind {
        ConditionKind::MemberOfSmartList(n) => Some((n, f.condition.span)),
        _ => None,
    })
}

/// `camp::smart_list::cycle`: smart lists that include each other.
fn check_cycles(cx: &mut Ctx<'_>) {
    let table = &cx.names.smart_lists;
    let adj: Vec<Vec<usize>> = table
        .iter()
        .map(|s| {
            references(&s.node.body)
                .filter_map(|(n, _)| table.get(&n.text).map(|i| i as usize))
                .collect()
        })
        .collect();
    let mut found = Vec::new();
    for comp in cyclic_components(&adj) {
        let Some(&start) = comp.first() else { continue };
        let cycle = cycle_through(&adj, &comp, start);
        let names: Vec<&str> = cycle
            .iter()
            .filter_map(|&i| table.at(i as u32).map(|d| d.name))
            .collect();
        let mut chain: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        if let Some(first) = chain.first().cloned() {
            chain.push(first);
        }
        // one label per edge of the cycle: the `member of smart list` reference
        let mut edges = Vec::new();
        for (k, &from) in cycle.iter().enumerate() {
            let to = cycle[(k + 1) % cycle.len()];
            let Some(decl) = table.at(from as u32) else {
                continue;
            };
            let to_name = table.at(to as u32).map(|d| d.name).unwrap_or_default();
            if let Some((_, span)) = references(&decl.node.body).find(|(n, _)| n.text == to_name) {
                edges.push((span, to_name));
            }
        }
        let Some(&(primary, _)) = edges.first() else {
            continue;
        };
        let mut d = Diagnostic::error(
            "camp::smart_list::cycle",
            primary,
            format!("smart lists include each other: {}", chain.join(" → ")),
        )
        .with_label("this starts the cycle")
        .with_help("a smart list cannot depend on itself; remove one of these filters");
        for (span, to) in edges.iter().skip(1) {
            d = d.with_secondary(*span, format!("includes `{to}`"));
        }
        found.push(d);
    }
    cx.diags.extend(found);
}
