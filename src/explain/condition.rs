//! Why a condition written with `and`, `or` and `not` holds or not for one person: each part
//! with its text as written (the formatter's printers), its verdict, and for each leaf the
//! values it read, from the engine's evaluator in its explaining mode
//! ([`crate::engine::conditions::Eval::explain_cond`]).
//!
//! The checked condition has the shape of the written one (groups dropped, a `not` written
//! before a condition becomes a [`Cond::Not`] around it), so the two are walked side by side.

use serde_json::{json, Value as Json};

use crate::check::ir::Cond;
use crate::engine::conditions::Eval;
use crate::fmt::text::Strings;
use crate::store::{Person, Result};
use crate::syntax::ast::{BoolExpr, Condition};

/// The explanation of `cond` (checked from `written`) for `person`: a leaf is
/// `{"text", "verdict", "values"}`; `and`, `or` and `not` are
/// `{"op", "text", "verdict", "parts"}`, their parts in the order written.
pub fn explain_condition(
    eval: &Eval<'_>,
    strings: &Strings<'_>,
    written: &BoolExpr<Condition>,
    cond: &Cond,
    person: &Person,
) -> Result<Json> {
    let both = |op: &str, xs: &[BoolExpr<Condition>], cs: &[Cond]| -> Result<Option<Json>> {
        if xs.len() != cs.len() {
            return Ok(None);
        }
        let mut parts = Vec::with_capacity(xs.len());
        for (x, c) in xs.iter().zip(cs) {
            parts.push(explain_condition(eval, strings, x, c, person)?);
        }
        let mut verdicts = parts.iter().map(|p| p["verdict"] == Json::Bool(true));
        let verdict = if op == "and" {
            verdicts.all(|v| v)
        } else {
            verdicts.any(|v| v)
        };
        Ok(Some(node(op, strings, written, verdict, parts)))
    };
    let composite = match (written, cond) {
        (BoolExpr::Group(x, _), _) => return explain_condition(eval, strings, x, cond, person),
        (BoolExpr::And(xs, _), Cond::And(cs)) => both("and", xs, cs)?,
        (BoolExpr::Or(xs, _), Cond::Or(cs)) => both("or", xs, cs)?,
        (BoolExpr::Not(x, _), Cond::Not(c)) => {
            let part = explain_condition(eval, strings, x, c, person)?;
            let verdict = part["verdict"] != Json::Bool(true);
            Some(node("not", strings, written, verdict, vec![part]))
        }
        _ => None,
    };
    if let Some(c) = composite {
        return Ok(c);
    }
    // A condition as written (`not` included), or a shape the checker would not give: one
    // leaf with everything it read.
    let report = eval.explain_cond(cond, person)?;
    Ok(json!({
        "text": strings.cond_expr(written, 0),
        "verdict": report.verdict,
        "values": report.values,
    }))
}

fn node(
    op: &str,
    strings: &Strings<'_>,
    written: &BoolExpr<Condition>,
    verdict: bool,
    parts: Vec<Json>,
) -> Json {
    json!({
        "op": op,
        "text": strings.cond_expr(written, 0),
        "verdict": verdict,
        "parts": parts,
    })
}
