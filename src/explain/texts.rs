//! The text of filters, triggers, `match` logic and qualification rules as the script writes
//! them, printed by the formatter's own printers from the AST (the checked program keeps no
//! source text).

use std::collections::HashMap;

use crate::diagnostic::SourceMap;
use crate::fmt::text::{duration, match_expr, match_expr_with, Strings};
use crate::syntax::ast::{
    BoolExpr, CampaignStatement, Item, MatchLogic, QualifyRule, Script, SmartListBody,
};
use crate::syntax::span::Spanned;

/// One smart list's texts (a campaign's or a top-level one).
#[derive(Clone, Debug, Default)]
pub struct ListTexts {
    /// Filter `i + 1`'s condition, `not` included.
    pub filters: Vec<String>,
    /// The triggers, in order, in their trigger form.
    pub triggers: Vec<String>,
    /// The `match` expression, when one was written (`all` and `any` need none).
    logic: Option<BoolExpr<Spanned<u32>>>,
    /// `match any` was written.
    any: bool,
}

impl ListTexts {
    /// The `match` logic as written: `all`, `any` or the expression.
    pub fn logic(&self) -> String {
        match &self.logic {
            Some(e) => match_expr(e),
            None if self.any => "any".into(),
            None => "all".into(),
        }
    }

    /// The `match` logic with each filter number replaced by `verdict(number)`: the expression
    /// as written, or the filters joined by `and` (`all`) or `or` (`any`).
    pub fn logic_with(&self, count: usize, verdict: &dyn Fn(u32) -> String) -> String {
        match &self.logic {
            Some(e) => match_expr_with(e, verdict),
            None => {
                let op = if self.any { " or " } else { " and " };
                (1..=count as u32).map(verdict).collect::<Vec<_>>().join(op)
            }
        }
    }
}

/// The texts of every campaign and smart list of a workspace, by name.
#[derive(Clone, Debug, Default)]
pub struct Texts {
    campaigns: HashMap<String, ListTexts>,
    smart_lists: HashMap<String, ListTexts>,
    qualify: HashMap<String, String>,
}

impl Texts {
    /// Reads the texts from the parsed scripts.
    pub fn new(scripts: &[Script], sources: &SourceMap) -> Texts {
        let mut texts = Texts::default();
        for script in scripts {
            let src = sources
                .get(script.file)
                .map(|f| f.text.as_str())
                .unwrap_or("");
            let strings = Strings { src };
            for item in &script.items {
                match item {
                    Item::SmartList(sl) => {
                        texts
                            .smart_lists
                            .entry(sl.name.text.clone())
                            .or_insert_with(|| list_texts(&strings, &sl.body));
                    }
                    Item::Campaign(c) => {
                        for st in &c.statements {
                            match st {
                                CampaignStatement::SmartList(body) => {
                                    texts
                                        .campaigns
                                        .entry(c.name.text.clone())
                                        .or_insert_with(|| list_texts(&strings, body));
                                }
                                CampaignStatement::Qualify(rule, _) => {
                                    texts
                                        .qualify
                                        .entry(c.name.text.clone())
                                        .or_insert_with(|| qualify_text(rule));
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        texts
    }

    /// A campaign's smart list texts (empty when it has none).
    pub fn campaign(&self, name: &str) -> ListTexts {
        self.campaigns.get(name).cloned().unwrap_or_default()
    }

    /// A top-level smart list's texts.
    pub fn smart_list(&self, name: &str) -> ListTexts {
        self.smart_lists.get(name).cloned().unwrap_or_default()
    }

    /// A campaign's qualification rule as written (`qualify once` when none was).
    pub fn qualify(&self, name: &str) -> String {
        self.qualify
            .get(name)
            .cloned()
            .unwrap_or_else(|| "qualify once".into())
    }
}

fn list_texts(strings: &Strings<'_>, body: &SmartListBody) -> ListTexts {
    let (logic, any) = match body.matches.first().map(|m| &m.logic) {
        Some(MatchLogic::Expr(e)) => (Some(e.clone()), false),
        Some(MatchLogic::Any) => (None, true),
        _ => (None, false),
    };
    ListTexts {
        filters: body
            .filters
            .iter()
            .map(|f| strings.condition(&f.condition, 0))
            .collect(),
        triggers: body
            .triggers
            .iter()
            .map(|t| strings.activity(&t.activity, true, 0))
            .collect(),
        logic,
        any,
    }
}

fn qualify_text(rule: &QualifyRule) -> String {
    match rule {
        QualifyRule::Once => "qualify once".into(),
        QualifyRule::EveryTime => "qualify every time".into(),
        QualifyRule::OnceEvery(d) => format!("qualify once every {}", duration(d)),
    }
}
