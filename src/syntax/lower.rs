//! Lowering: pest pairs to the owned AST, one function per construct.
//!
//! The grammar guarantees each pair's shape; a shape the grammar cannot produce is a bug in this
//! file, reported as a syntax diagnostic at that place rather than a panic. Values the grammar
//! accepts but that are invalid (`2026-13-45`, `25:00`, a reserved word used as a name) are
//! reported here, and lowering goes on so that every such problem is found in one pass.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::keywords::is_reserved;
use super::parser::Rule;
use crate::diagnostic::Diagnostic;

type P<'i> = Pair<'i, Rule>;

/// Turns pairs of one file into AST nodes, collecting problems.
pub(crate) struct Lowerer {
    file: FileId,
    /// Problems found while lowering.
    pub diagnostics: Vec<Diagnostic>,
}

impl Lowerer {
    pub(crate) fn new(file: FileId) -> Lowerer {
        Lowerer {
            file,
            diagnostics: Vec::new(),
        }
    }

    /// The pair's span, without the whitespace and comments pest skipped after its last
    /// token (a rule ending in optional parts keeps them): it ends where the last nested pair
    /// that does not itself end in skipped text ends.
    fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        let mut end = s.end();
        if s.as_str().ends_with(|c: char| c.is_whitespace()) {
            // What follows the last token is skipped whitespace and comments: without a `#` on
            // the last line that holds something, it is whitespace only and trimming finds the
            // token's end without walking the tree.
            let trimmed = s
                .as_str()
                .trim_end_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
            let last_line = &trimmed[trimmed.rfind('\n').map_or(0, |i| i + 1)..];
            end = if last_line.contains('#') {
                last_token_end(p).unwrap_or_else(|| s.start() + s.as_str().trim_end().len())
            } else {
                s.start() + trimmed.len()
            };
        }
        Span::new(self.file, s.start(), end)
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::error("camp::syntax", span, message));
    }

    fn error_help(&mut self, span: Span, message: impl Into<String>, help: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::error("camp::syntax", span, message).with_help(help));
    }

    /// A pair whose shape the grammar rules out.
    fn unexpected(&mut self, p: &P) {
        let span = self.span(p);
        self.error(
            span,
            format!("unexpected `{}` here", first_line(p.as_str())),
        );
    }

    // ------------------------------------------------------------ file and items

    pub(crate) fn script(&mut self, file: P) -> Script {
        let mut items = Vec::new();
        for p in file.into_inner() {
            match p.as_rule() {
                Rule::item => {
                    if let Some(inner) = p.into_inner().next() {
                        if let Some(item) = self.item(inner) {
                            items.push(item);
                        }
                    }
                }
                Rule::EOI => {}
                _ => self.unexpected(&p),
            }
        }
        Script {
            file: self.file,
            items,
        }
    }

    /// Lowers the items of a REPL entry.
    pub(crate) fn items(&mut self, pairs: Pairs<Rule>) -> Vec<Item> {
        let mut items = Vec::new();
        for p in pairs {
            if p.as_rule() == Rule::item {
                if let Some(inner) = p.into_inner().next() {
                    if let Some(item) = self.item(inner) {
                        items.push(item);
                    }
                }
            }
        }
        items
    }

    fn item(&mut self, p: P) -> Option<Item> {
        Some(match p.as_rule() {
            Rule::settings => Item::Settings(self.settings(p)),
            Rule::schema => Item::Schema(self.schema(p)),
            Rule::list_decl => Item::List(self.last_name(p)?),
            Rule::form_decl => Item::Form(self.last_name(p)?),
            Rule::page_decl => Item::Page(self.last_name(p)?),
            Rule::email_decl => Item::Email(self.email(p)?),
            Rule::webhook_decl => Item::Webhook(self.webhook(p)?),
            Rule::event_decl => Item::Event(self.event(p)?),
            Rule::program_decl => Item::Program(self.program(p)?),
            Rule::token_decl => Item::Token(self.token_decl(p)?),
            Rule::smart_list_decl => Item::SmartList(self.smart_list_decl(p)?),
            Rule::campaign => Item::Campaign(self.campaign(p)?),
            Rule::test_decl => Item::Test(self.test_decl(p)?),
            _ => {
                self.unexpected(&p);
                return None;
            }
        })
    }

    fn last_name(&mut self, p: P) -> Option<Name> {
        let s = p.into_inner().find(|c| c.as_rule() == Rule::string)?;
        Some(self.name(s))
    }

    fn settings(&mut self, p: P) -> Settings {
        let span = self.span(&p);
        let mut keyword = span;
        let mut entries = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_settings => keyword = self.span(&c),
                Rule::setting => {
                    if let Some(s) = c.into_inner().next() {
                        if let Some(e) = self.setting(s) {
                            entries.push(e);
                        }
                    }
                }
                _ => {}
            }
        }
        Settings {
            entries,
            span,
            keyword,
        }
    }

    fn setting(&mut self, p: P) -> Option<Setting> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::tz_setting => {
                let s = p.into_inner().find(|c| c.as_rule() == Rule::string)?;
                Some(Setting::TimeZone(self.name(s)))
            }
            Rule::from_setting => {
                let s = p.into_inner().find(|c| c.as_rule() == Rule::string)?;
                Some(Setting::From(self.name(s)))
            }
            Rule::rate_setting => {
                let n = p.into_inner().find(|c| c.as_rule() == Rule::uint)?;
                Some(Setting::DeliveryRate {
                    rate: self.uint(&n),
                    span,
                })
            }
            Rule::cascade_setting => {
                let n = p.into_inner().find(|c| c.as_rule() == Rule::uint)?;
                Some(Setting::CascadeDepth(self.uint(&n)))
            }
            Rule::limits_setting => {
                let mut per_day = None;
                let mut per_week = None;
                for limit in p.into_inner().filter(|c| c.as_rule() == Rule::limit) {
                    let lspan = self.span(&limit);
                    let mut inner = limit.into_inner();
                    let count = inner.find(|c| c.as_rule() == Rule::uint)?;
                    let count = self.uint(&count);
                    let unit = inner
                        .find(|c| matches!(c.as_rule(), Rule::limit_day | Rule::limit_days))?;
                    let slot = if unit.as_rule() == Rule::limit_day {
                        &mut per_day
                    } else {
                        let days = unit.into_inner().find(|c| c.as_rule() == Rule::uint)?;
                        let d = self.uint(&days);
                        if d.node != 7 {
                            self.error_help(
                                d.span,
                                format!("communication limits are counted per day or per 7 days, not per {} days", d.node),
                                "write `N per day` or `N per 7 days`",
                            );
                            continue;
                        }
                        &mut per_week
                    };
                    if slot.is_some() {
                        self.error(lspan, "this communication limit is given twice");
                    }
                    *slot = Some(count);
                }
                Some(Setting::CommunicationLimits {
                    per_day,
                    per_week,
                    span,
                })
            }
            _ => {
                self.unexpected(&p);
                None
            }
        }
    }

    fn schema(&mut self, p: P) -> Schema {
        let span = self.span(&p);
        let fields = p
            .into_inner()
            .filter(|c| c.as_rule() == Rule::field_decl)
            .filter_map(|c| self.field_decl(c))
            .collect();
        Schema { fields, span }
    }

    fn field_decl(&mut self, p: P) -> Option<FieldDecl> {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let name = self.ident(inner.find(|c| c.as_rule() == Rule::ident)?);
        let ty_pair = inner.find(|c| c.as_rule() == Rule::field_type)?;
        let ty_span = self.span(&ty_pair);
        let ty = match ty_pair.into_inner().next()?.as_rule() {
            Rule::kw_text => FieldType::Text,
            Rule::kw_number => FieldType::Number,
            Rule::kw_bool => FieldType::Bool,
            Rule::kw_date => FieldType::Date,
            _ => FieldType::DateTime,
        };
        Some(FieldDecl {
            name,
            ty: Spanned::new(ty, ty_span),
            span,
        })
    }

    fn email(&mut self, p: P) -> Option<EmailDecl> {
        let span = self.span(&p);
        let mut name = None;
        let mut subject = None;
        let mut body = None;
        let mut operational = None;
        let mut repeated = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string if name.is_none() => name = Some(self.name(c)),
                Rule::email_stmt => {
                    let Some(s) = c.into_inner().next() else {
                        continue;
                    };
                    let sspan = self.span(&s);
                    match s.as_rule() {
                        Rule::subject_stmt => {
                            let t = self.inner_template(s)?;
                            if subject.replace(t).is_some() {
                                repeated.push(sspan);
                            }
                        }
                        Rule::body_stmt => {
                            let t = self.inner_template(s)?;
                            if body.replace(t).is_some() {
                                repeated.push(sspan);
                            }
                        }
                        _ => {
                            if operational.replace(sspan).is_some() {
                                repeated.push(sspan);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Some(EmailDecl {
            name: name?,
            subject,
            body,
            operational,
            repeated,
            span,
        })
    }

    fn inner_template(&mut self, p: P) -> Option<Template> {
        let s = p.into_inner().find(|c| c.as_rule() == Rule::string)?;
        Some(self.template(s))
    }

    fn webhook(&mut self, p: P) -> Option<WebhookDecl> {
        let span = self.span(&p);
        let mut name = None;
        let mut url = None;
        let mut method = None;
        let mut body = None;
        let mut repeated = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string if name.is_none() => name = Some(self.name(c)),
                Rule::webhook_stmt => {
                    let Some(s) = c.into_inner().next() else {
                        continue;
                    };
                    let sspan = self.span(&s);
                    let dup = match s.as_rule() {
                        Rule::url_stmt => url.replace(self.inner_template(s)?).is_some(),
                        Rule::body_stmt => body.replace(self.inner_template(s)?).is_some(),
                        _ => {
                            let m = s.into_inner().find(|c| c.as_rule() == Rule::string)?;
                            method.replace(self.name(m)).is_some()
                        }
                    };
                    if dup {
                        repeated.push(sspan);
                    }
                }
                _ => {}
            }
        }
        Some(WebhookDecl {
            name: name?,
            url,
            method,
            body,
            repeated,
            span,
        })
    }

    fn event(&mut self, p: P) -> Option<EventDecl> {
        let span = self.span(&p);
        let mut name = None;
        let mut attributes = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string => name = Some(self.name(c)),
                Rule::field_decl => attributes.extend(self.field_decl(c)),
                _ => {}
            }
        }
        Some(EventDecl {
            name: name?,
            attributes,
            span,
        })
    }

    fn program(&mut self, p: P) -> Option<ProgramDecl> {
        let span = self.span(&p);
        let mut name = None;
        let mut statuses = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string => name = Some(self.name(c)),
                Rule::statuses_stmt => {
                    statuses = c
                        .into_inner()
                        .filter(|s| s.as_rule() == Rule::string)
                        .map(|s| self.name(s))
                        .collect()
                }
                _ => {}
            }
        }
        Some(ProgramDecl {
            name: name?,
            statuses,
            span,
        })
    }

    fn token_decl(&mut self, p: P) -> Option<TokenDecl> {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let name = self.ident(inner.find(|c| c.as_rule() == Rule::ident)?);
        let value = self.template(inner.find(|c| c.as_rule() == Rule::string)?);
        Some(TokenDecl { name, value, span })
    }

    fn smart_list_decl(&mut self, p: P) -> Option<SmartListDecl> {
        let span = self.span(&p);
        let mut name = None;
        let mut body = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string => name = Some(self.name(c)),
                Rule::smart_list_body => body = Some(self.smart_list_body(c, None)),
                _ => {}
            }
        }
        Some(SmartListDecl {
            name: name?,
            body: body?,
            span,
        })
    }

    fn smart_list_body(&mut self, p: P, outer: Option<Span>) -> SmartListBody {
        let span = outer.unwrap_or_else(|| self.span(&p));
        let mut body = SmartListBody {
            span,
            ..SmartListBody::default()
        };
        for line in p
            .into_inner()
            .filter(|c| c.as_rule() == Rule::smart_list_line)
        {
            let Some(l) = line.into_inner().next() else {
                continue;
            };
            let lspan = self.span(&l);
            match l.as_rule() {
                Rule::trigger_line => {
                    let Some(t) = l.into_inner().find(|c| c.as_rule() == Rule::trigger) else {
                        continue;
                    };
                    if let Some(activity) = self.trigger(t) {
                        body.triggers.push(Trigger {
                            activity,
                            span: lspan,
                        });
                    }
                }
                Rule::filter_line => {
                    let Some(c) = l.into_inner().find(|c| c.as_rule() == Rule::condition) else {
                        continue;
                    };
                    if let Some(condition) = self.condition(c) {
                        body.filters.push(Filter {
                            condition,
                            span: lspan,
                        });
                    }
                }
                Rule::match_line => {
                    let Some(m) = l.into_inner().nth(1) else {
                        continue;
                    };
                    let logic = match m.as_rule() {
                        Rule::match_all => MatchLogic::All,
                        Rule::match_any => MatchLogic::Any,
                        _ => match self.match_expr(m) {
                            Some(e) => MatchLogic::Expr(e),
                            None => continue,
                        },
                    };
                    body.matches.push(Match { logic, span: lspan });
                }
                _ => self.unexpected(&l),
            }
        }
        body
    }

    // ------------------------------------------------------------ logic

    fn match_expr(&mut self, p: P) -> Option<BoolExpr<Spanned<u32>>> {
        self.bool_expr(p, &mut |this, atom| match atom.as_rule() {
            Rule::filter_number => Some(BoolExpr::Atom(this.uint(&atom))),
            Rule::match_group => {
                let gspan = this.span(&atom);
                let inner = atom
                    .into_inner()
                    .find(|c| c.as_rule() == Rule::match_expr)?;
                Some(BoolExpr::Group(Box::new(this.match_expr(inner)?), gspan))
            }
            _ => None,
        })
    }

    pub(crate) fn cond_expr(&mut self, p: P) -> Option<BoolExpr<Condition>> {
        self.bool_expr(p, &mut |this, atom| match atom.as_rule() {
            Rule::condition => Some(BoolExpr::Atom(this.condition(atom)?)),
            Rule::cond_group => {
                let gspan = this.span(&atom);
                let inner = atom.into_inner().find(|c| c.as_rule() == Rule::cond_expr)?;
                Some(BoolExpr::Group(Box::new(this.cond_expr(inner)?), gspan))
            }
            _ => None,
        })
    }

    /// `unary (op unary)*`, where a unary is `not* atom`.
    fn bool_expr<T: Atom>(
        &mut self,
        p: P,
        atom: &mut dyn FnMut(&mut Self, P) -> Option<BoolExpr<T>>,
    ) -> Option<BoolExpr<T>> {
        let span = self.span(&p);
        let mut items = Vec::new();
        let mut ops: Vec<Spanned<LogicOp>> = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::logic_op => {
                    let op = match c.clone().into_inner().next().map(|k| k.as_rule()) {
                        Some(Rule::kw_and) => LogicOp::And,
                        _ => LogicOp::Or,
                    };
                    ops.push(Spanned::new(op, self.span(&c)));
                }
                _ => {
                    let mut nots = Vec::new();
                    let mut node = None;
                    for u in c.into_inner() {
                        if u.as_rule() == Rule::not_op {
                            nots.push(self.span(&u));
                        } else {
                            node = atom(self, u);
                        }
                    }
                    let mut node = node?;
                    for not in nots.into_iter().rev() {
                        node = match node {
                            BoolExpr::Atom(mut a) => {
                                if a.absorb_not(not) {
                                    BoolExpr::Atom(a)
                                } else {
                                    let s = not.to(a.span());
                                    BoolExpr::Not(Box::new(BoolExpr::Atom(a)), s)
                                }
                            }
                            other => {
                                let s = not.to(expr_span(&other));
                                BoolExpr::Not(Box::new(other), s)
                            }
                        };
                    }
                    items.push(node);
                }
            }
        }
        if items.len() == 1 {
            return items.pop();
        }
        let first = ops.first().map(|o| o.node)?;
        if ops.iter().all(|o| o.node == first) {
            Some(match first {
                LogicOp::And => BoolExpr::And(items, span),
                LogicOp::Or => BoolExpr::Or(items, span),
            })
        } else {
            Some(BoolExpr::Mixed { items, ops, span })
        }
    }

    // ------------------------------------------------------------ conditions

    fn condition(&mut self, p: P) -> Option<Condition> {
        let span = self.span(&p);
        let mut negated = false;
        let mut kind = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::not_op => negated = true,
                Rule::all_people => kind = Some(ConditionKind::AllPeople),
                Rule::membership => kind = self.membership(c.into_inner().next()?),
                Rule::history => kind = self.history(c).map(ConditionKind::History),
                Rule::field_condition => kind = self.field_condition(c).map(ConditionKind::Field),
                _ => self.unexpected(&c),
            }
        }
        Some(Condition {
            negated,
            kind: kind?,
            span,
        })
    }

    fn membership(&mut self, p: P) -> Option<ConditionKind> {
        let rule = p.as_rule();
        let mut names = p
            .into_inner()
            .filter(|c| c.as_rule() == Rule::string)
            .map(|s| self.name(s))
            .collect::<Vec<_>>()
            .into_iter();
        let first = names.next()?;
        Some(match rule {
            Rule::member_list => ConditionKind::MemberOfList(first),
            Rule::member_smart_list => ConditionKind::MemberOfSmartList(first),
            Rule::member_program => ConditionKind::MemberOfProgram(first),
            Rule::member_campaign => ConditionKind::MemberOfCampaign(first),
            _ => ConditionKind::ProgramStatus {
                program: first,
                status: names.next()?,
            },
        })
    }

    fn history(&mut self, p: P) -> Option<HistoryCondition> {
        let mut what = None;
        let mut window = None;
        let mut count = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::history_what => what = self.activity(c.into_inner().next()?),
                Rule::window => window = self.window(c.into_inner().next()?),
                Rule::times => {
                    let span = self.span(&c);
                    let mut op = CountOp::AtLeast;
                    let mut n = None;
                    for x in c.into_inner() {
                        match x.as_rule() {
                            Rule::times_at_most => op = CountOp::AtMost,
                            Rule::times_exactly => op = CountOp::Exactly,
                            Rule::uint => n = Some(self.uint(&x)),
                            _ => {}
                        }
                    }
                    count = Some(HistoryCount { op, n: n?, span });
                }
                _ => {}
            }
        }
        Some(HistoryCondition {
            what: what?,
            window,
            count,
        })
    }

    fn window(&mut self, p: P) -> Option<Window> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut inner = p.into_inner();
        Some(match rule {
            Rule::w_in_past => {
                Window::InPast(self.duration(inner.find(|c| c.as_rule() == Rule::duration)?))
            }
            Rule::w_since => Window::Since(self.value(inner.find(is_date_value)?)?),
            Rule::w_before => Window::Before(self.value(inner.find(is_date_value)?)?),
            _ => {
                let a = self.value(inner.find(is_date_value)?)?;
                let b = self.value(inner.find(is_date_value)?)?;
                Window::Between(a, b, span)
            }
        })
    }

    fn trigger(&mut self, p: P) -> Option<Activity> {
        self.activity(p.into_inner().next()?)
    }

    /// An activity as written after `trigger` or in a history condition.
    fn activity(&mut self, p: P) -> Option<Activity> {
        let rule = p.as_rule();
        let mut name: Option<Name> = None;
        let mut ident: Option<Ident> = None;
        let mut link = None;
        let mut page = None;
        let mut to = None;
        let mut from = None;
        let mut conditions = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string => name = Some(self.name(c)),
                Rule::ident => ident = Some(self.ident(c)),
                Rule::link_constraint => link = self.link_constraint(c),
                Rule::on_page => {
                    page = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::string)
                        .map(|s| self.name(s))
                }
                Rule::to_value => to = c.into_inner().find(|x| x.as_rule() == Rule::value),
                Rule::from_value => from = c.into_inner().find(|x| x.as_rule() == Rule::value),
                Rule::where_clause => {
                    for fc in c
                        .into_inner()
                        .filter(|x| x.as_rule() == Rule::field_condition)
                    {
                        conditions.extend(self.field_condition(fc));
                    }
                }
                _ => {}
            }
        }
        Some(match rule {
            Rule::h_sent => Activity::EmailSent { email: name },
            Rule::h_opened | Rule::t_opens => Activity::EmailOpened { email: name },
            Rule::h_clicked | Rule::t_clicks => Activity::EmailClicked { email: name, link },
            Rule::h_delivered | Rule::t_delivered => Activity::EmailDelivered { email: name },
            Rule::h_bounced | Rule::t_bounces => Activity::EmailBounced { email: name },
            Rule::h_unsubscribed | Rule::t_unsubscribes => Activity::Unsubscribed { email: name },
            Rule::h_filled | Rule::t_fills => Activity::FormFilled { form: name, page },
            Rule::h_visited | Rule::t_visits => Activity::PageVisited { page: name },
            Rule::h_added | Rule::t_added => Activity::AddedToList { list: name },
            Rule::h_removed | Rule::t_removed => Activity::RemovedFromList { list: name },
            Rule::h_data_changed | Rule::t_data_changes => Activity::DataValueChanged {
                field: ident?,
                to: match to {
                    Some(v) => Some(self.value(v)?),
                    None => None,
                },
                from: match from {
                    Some(v) => Some(self.value(v)?),
                    None => None,
                },
            },
            Rule::h_score_changed | Rule::t_score_changed => Activity::ScoreChanged,
            Rule::h_created | Rule::t_created => Activity::PersonCreated,
            Rule::t_program_status => Activity::ProgramStatusChanged {
                program: name,
                to: match to {
                    Some(v) => Some(self.value_as_name(v)?),
                    None => None,
                },
                from: match from {
                    Some(v) => Some(self.value_as_name(v)?),
                    None => None,
                },
            },
            Rule::h_requested | Rule::t_requested => Activity::CampaignRequested { campaign: name },
            Rule::h_event | Rule::t_event => Activity::CustomEvent {
                event: name?,
                conditions,
            },
            _ => return None,
        })
    }

    fn value_as_name(&mut self, p: P) -> Option<Name> {
        let span = self.span(&p);
        let v = self.value(p)?;
        match v.kind {
            ValueKind::Text(t) => Some(Name {
                text: t.source_text(),
                span: t.span,
            }),
            _ => {
                self.error(span, "expected a quoted status name");
                None
            }
        }
    }

    fn link_constraint(&mut self, p: P) -> Option<LinkConstraint> {
        let span = self.span(&p);
        let c = p
            .into_inner()
            .find(|x| matches!(x.as_rule(), Rule::link_contains | Rule::link_is))?;
        let contains = c.as_rule() == Rule::link_contains;
        let text = self.value(c.into_inner().find(|x| x.as_rule() == Rule::value)?)?;
        Some(LinkConstraint {
            contains,
            text,
            span,
        })
    }

    fn field_condition(&mut self, p: P) -> Option<FieldCondition> {
        let mut inner = p.into_inner();
        let field = self.ident(inner.find(|c| c.as_rule() == Rule::ident)?);
        let (op, op_span) = self.field_op(inner.find(|c| c.as_rule() == Rule::field_op)?)?;
        Some(FieldCondition { field, op, op_span })
    }

    /// A `field_op` pair: the operator with its operands, and the operator's span.
    fn field_op(&mut self, p: P) -> Option<(FieldOp, Span)> {
        let op_pair = p.into_inner().next()?;
        let op_rule = op_pair.as_rule();
        let mut values = Vec::new();
        let mut duration = None;
        let op_start = op_pair.as_span().start();
        let mut op_end = op_start;
        let mut seen_value = false;
        for c in op_pair.into_inner() {
            match c.as_rule() {
                Rule::value_list => {
                    seen_value = true;
                    for v in c.into_inner().filter(|x| x.as_rule() == Rule::value) {
                        values.push(self.value(v)?);
                    }
                }
                Rule::value => {
                    seen_value = true;
                    values.push(self.value(c)?);
                }
                Rule::duration => {
                    seen_value = true;
                    duration = Some(self.duration(c));
                }
                _ if !seen_value => op_end = c.as_span().end(),
                _ => {}
            }
        }
        let op_span = Span::new(self.file, op_start, op_end);
        let mut vals = values.into_iter();
        let mut one = |this: &mut Self| -> Option<Value> {
            let v = vals.next();
            if v.is_none() {
                this.error(op_span, "expected a value");
            }
            v
        };
        let op = match op_rule {
            Rule::op_is_empty => FieldOp::IsEmpty,
            Rule::op_is_not_empty => FieldOp::IsNotEmpty,
            Rule::op_is_not => FieldOp::IsNot(vals.collect()),
            Rule::op_is => FieldOp::Is(vals.collect()),
            Rule::op_not_starts => FieldOp::NotStartsWith(vals.collect()),
            Rule::op_starts => FieldOp::StartsWith(vals.collect()),
            Rule::op_not_contains => FieldOp::NotContains(vals.collect()),
            Rule::op_contains => FieldOp::Contains(vals.collect()),
            Rule::op_ge => FieldOp::AtLeast(one(self)?),
            Rule::op_le => FieldOp::AtMost(one(self)?),
            Rule::op_gt => FieldOp::Greater(one(self)?),
            Rule::op_lt => FieldOp::Less(one(self)?),
            Rule::op_between => {
                let a = one(self)?;
                FieldOp::Between(a, one(self)?)
            }
            Rule::op_on_or_before => FieldOp::OnOrBefore(one(self)?),
            Rule::op_on_or_after => FieldOp::OnOrAfter(one(self)?),
            Rule::op_before => FieldOp::Before(one(self)?),
            Rule::op_after => FieldOp::After(one(self)?),
            Rule::op_in_past_before => FieldOp::InPastBefore(duration?),
            Rule::op_in_past => FieldOp::InPast(duration?),
            Rule::op_in_future_after => FieldOp::InFutureAfter(duration?),
            Rule::op_in_future => FieldOp::InFuture(duration?),
            _ => return None,
        };
        Some((op, op_span))
    }

    // ------------------------------------------------------------ campaigns

    fn campaign(&mut self, p: P) -> Option<Campaign> {
        let span = self.span(&p);
        let mut declared_kind = None;
        let mut name = None;
        let mut statements = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::campaign_kind => {
                    let kspan = self.span(&c);
                    let kind = match c.into_inner().next().map(|k| k.as_rule()) {
                        Some(Rule::kw_batch) => CampaignKind::Batch,
                        Some(Rule::kw_trigger) => CampaignKind::Trigger,
                        _ => CampaignKind::Executable,
                    };
                    declared_kind = Some(Spanned::new(kind, kspan));
                }
                Rule::string => name = Some(self.name(c)),
                Rule::campaign_stmt => {
                    if let Some(s) = c.into_inner().next() {
                        statements.extend(self.campaign_stmt(s));
                    }
                }
                _ => {}
            }
        }
        let name = name?;
        let header = Span {
            end: name.span.end,
            ..span
        };
        Some(Campaign {
            declared_kind,
            name,
            statements,
            header,
            span,
        })
    }

    fn campaign_stmt(&mut self, p: P) -> Option<CampaignStatement> {
        let span = self.span(&p);
        let rule = p.as_rule();
        Some(match rule {
            Rule::description_stmt => CampaignStatement::Description(self.inner_template(p)?, span),
            Rule::in_program_stmt => {
                let s = p.into_inner().find(|c| c.as_rule() == Rule::string)?;
                CampaignStatement::InProgram(self.name(s), span)
            }
            Rule::campaign_smart_list => {
                let body = p
                    .into_inner()
                    .find(|c| c.as_rule() == Rule::smart_list_body)?;
                CampaignStatement::SmartList(self.smart_list_body(body, Some(span)))
            }
            Rule::flow_block => {
                let block = p.into_inner().find(|c| c.as_rule() == Rule::block)?;
                let mut b = self.block(block);
                b.span = span;
                CampaignStatement::Flow(b)
            }
            Rule::run_stmt => CampaignStatement::Run(self.schedule(p)?),
            Rule::active_stmt => CampaignStatement::Activation(true, span),
            Rule::inactive_stmt => CampaignStatement::Activation(false, span),
            Rule::block_stmt => CampaignStatement::BlockNonOperational(span),
            Rule::max_people_stmt => {
                let n = p.into_inner().find(|c| c.as_rule() == Rule::uint)?;
                let nspan = self.span(&n);
                let v = match n.as_str().parse::<u64>() {
                    Ok(v) => v,
                    Err(_) => {
                        self.error(nspan, "this number is too large");
                        0
                    }
                };
                CampaignStatement::MaxPeople(Spanned::new(v, nspan), span)
            }
            Rule::qualify_stmt => {
                let q = p.into_inner().nth(1)?;
                let rule = match q.as_rule() {
                    Rule::q_every_time => QualifyRule::EveryTime,
                    Rule::q_once => QualifyRule::Once,
                    _ => {
                        let i = q.into_inner().find(|c| c.as_rule() == Rule::interval)?;
                        QualifyRule::OnceEvery(self.duration(i))
                    }
                };
                CampaignStatement::Qualify(rule, span)
            }
            _ => {
                self.unexpected(&p);
                return None;
            }
        })
    }

    fn schedule(&mut self, p: P) -> Option<Schedule> {
        let span = self.span(&p);
        let s = p.into_inner().nth(1)?;
        let kind = match s.as_rule() {
            Rule::run_at => ScheduleKind::Once(self.value(s.into_inner().find(is_date_value)?)?),
            _ => {
                let every_span = self.span(&s);
                let mut interval = None;
                let mut unit = None;
                let mut on = None;
                let mut at = None;
                let mut from = None;
                let mut until = None;
                for c in s.into_inner() {
                    match c.as_rule() {
                        Rule::uint => interval = Some(self.uint(&c)),
                        Rule::recur_unit => {
                            let uspan = self.span(&c);
                            let u = match c.into_inner().next().map(|k| k.as_rule()) {
                                Some(Rule::kw_day | Rule::kw_days) => RecurUnit::Day,
                                Some(Rule::kw_week | Rule::kw_weeks) => RecurUnit::Week,
                                _ => RecurUnit::Month,
                            };
                            unit = Some(Spanned::new(u, uspan));
                        }
                        Rule::recur_on => on = self.recur_on(c),
                        Rule::at_time => at = self.at_time(c),
                        Rule::run_from => from = self.value(c.into_inner().find(is_date_value)?),
                        Rule::run_until => until = self.value(c.into_inner().find(is_date_value)?),
                        _ => {}
                    }
                }
                let unit = unit?;
                let interval = interval.unwrap_or(Spanned::new(1, unit.span));
                let _ = every_span;
                ScheduleKind::Every(Recurrence {
                    interval,
                    unit,
                    on,
                    at: at?,
                    from,
                    until,
                })
            }
        };
        Some(Schedule { kind, span })
    }

    fn recur_on(&mut self, p: P) -> Option<Spanned<RecurOn>> {
        let span = self.span(&p);
        let c = p.into_inner().nth(1)?;
        let on = match c.as_rule() {
            Rule::on_weekdays => RecurOn::Weekdays,
            Rule::day_of_month => {
                let n = c.into_inner().find(|x| x.as_rule() == Rule::uint)?;
                RecurOn::DayOfMonth(self.uint(&n).node)
            }
            Rule::nth_weekday => {
                let mut inner = c.into_inner();
                let ord = inner.next()?;
                let n = match ord.as_str() {
                    "1st" => 1,
                    "2nd" => 2,
                    "3rd" => 3,
                    "4th" => 4,
                    _ => 0,
                };
                RecurOn::NthWeekday(n, self.weekday(inner.next()?)?.node)
            }
            Rule::weekday_list => RecurOn::Days(self.weekday_list(c)),
            _ => return None,
        };
        Some(Spanned::new(on, span))
    }

    fn weekday_list(&mut self, p: P) -> Vec<Spanned<Weekday>> {
        p.into_inner()
            .filter(|c| c.as_rule() == Rule::weekday)
            .filter_map(|c| self.weekday(c))
            .collect()
    }

    fn weekday(&mut self, p: P) -> Option<Spanned<Weekday>> {
        let span = self.span(&p);
        let d = match p.into_inner().next()?.as_rule() {
            Rule::kw_mon => Weekday::Mon,
            Rule::kw_tue => Weekday::Tue,
            Rule::kw_wed => Weekday::Wed,
            Rule::kw_thu => Weekday::Thu,
            Rule::kw_fri => Weekday::Fri,
            Rule::kw_sat => Weekday::Sat,
            _ => Weekday::Sun,
        };
        Some(Spanned::new(d, span))
    }

    fn at_time(&mut self, p: P) -> Option<Spanned<NaiveTime>> {
        let t = p.into_inner().find(|c| c.as_rule() == Rule::time)?;
        let span = self.span(&t);
        Some(Spanned::new(self.time(t.as_str(), span)?, span))
    }

    // ------------------------------------------------------------ flow

    fn block(&mut self, p: P) -> Block {
        let span = self.span(&p);
        let steps = p
            .into_inner()
            .filter(|c| c.as_rule() == Rule::step)
            .filter_map(|c| {
                let s = c.into_inner().next()?;
                self.step(s)
            })
            .collect();
        Block { steps, span }
    }

    /// One flow step.
    pub(crate) fn step(&mut self, p: P) -> Option<Step> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut names = Vec::new();
        let mut ident = None;
        let mut rest = Vec::new();
        for c in p.clone().into_inner() {
            match c.as_rule() {
                Rule::string => names.push(c),
                Rule::ident => ident = Some(self.ident(c)),
                _ => rest.push(c),
            }
        }
        let kind = match rule {
            Rule::s_send_email => StepKind::SendEmail(self.name(names.into_iter().next()?)),
            Rule::s_send_alert => {
                let mut it = names.into_iter();
                let email = self.name(it.next()?);
                StepKind::SendAlert {
                    email,
                    to: it.map(|s| self.template(s)).collect(),
                }
            }
            Rule::s_change_status => {
                let mut it = names.into_iter();
                StepKind::ChangeProgramStatus {
                    program: self.name(it.next()?),
                    status: self.name(it.next()?),
                }
            }
            Rule::s_change => {
                let v = rest.into_iter().find(|c| {
                    matches!(
                        c.as_rule(),
                        Rule::change_by | Rule::change_empty | Rule::change_to
                    )
                })?;
                let vspan = self.span(&v);
                let value = match v.as_rule() {
                    Rule::change_by => {
                        let n = v.into_inner().find(|c| c.as_rule() == Rule::number)?;
                        let nspan = self.span(&n);
                        ChangeValue::By(Value {
                            kind: ValueKind::Number(self.number(n.as_str(), nspan)?),
                            span: nspan,
                        })
                    }
                    Rule::change_empty => ChangeValue::Empty(vspan),
                    _ => ChangeValue::To(
                        self.value(v.into_inner().find(|c| c.as_rule() == Rule::value)?)?,
                    ),
                };
                StepKind::ChangeField {
                    field: ident?,
                    value,
                }
            }
            Rule::s_add => StepKind::AddToList(self.name(names.into_iter().next()?)),
            Rule::s_remove_list => StepKind::RemoveFromList(self.name(names.into_iter().next()?)),
            Rule::s_remove_flow => {
                StepKind::RemoveFromFlow(names.into_iter().map(|s| self.name(s)).collect())
            }
            Rule::s_wait => {
                let w = rest.into_iter().find(|c| {
                    matches!(
                        c.as_rule(),
                        Rule::wait_for
                            | Rule::wait_until_date
                            | Rule::wait_until_field
                            | Rule::wait_until_next
                    )
                })?;
                StepKind::Wait(self.wait(w)?)
            }
            Rule::s_request => StepKind::RequestCampaign(self.name(names.into_iter().next()?)),
            Rule::s_execute => StepKind::ExecuteCampaign(self.name(names.into_iter().next()?)),
            Rule::s_webhook => StepKind::CallWebhook(self.name(names.into_iter().next()?)),
            Rule::s_moment => StepKind::InterestingMoment(self.template(names.into_iter().next()?)),
            Rule::s_delete => StepKind::DeletePerson,
            Rule::s_if => {
                let mut branches = Vec::new();
                let mut otherwise = None;
                let mut cond = None;
                for c in rest {
                    match c.as_rule() {
                        Rule::cond_expr => cond = self.cond_expr(c),
                        Rule::block => {
                            let b = self.block(c);
                            branches.push((cond.take()?, b));
                        }
                        Rule::else_if_branch => {
                            let mut e = None;
                            for x in c.into_inner() {
                                match x.as_rule() {
                                    Rule::cond_expr => e = self.cond_expr(x),
                                    Rule::block => {
                                        let b = self.block(x);
                                        branches.push((e.take()?, b));
                                    }
                                    _ => {}
                                }
                            }
                        }
                        Rule::else_branch => {
                            let b = c.into_inner().find(|x| x.as_rule() == Rule::block)?;
                            otherwise = Some(self.block(b));
                        }
                        _ => {}
                    }
                }
                StepKind::If {
                    branches,
                    otherwise,
                }
            }
            _ => return None,
        };
        Some(Step { kind, span })
    }

    fn wait(&mut self, p: P) -> Option<WaitKind> {
        let rule = p.as_rule();
        let mut duration = None;
        let mut on = None;
        let mut at = None;
        let mut ident = None;
        let mut date = None;
        let mut offset = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::duration => duration = Some(self.duration(c)),
                Rule::wait_on => {
                    let span = self.span(&c);
                    let x = c.into_inner().nth(1)?;
                    let o = if x.as_rule() == Rule::on_weekdays {
                        RecurOn::Weekdays
                    } else {
                        RecurOn::Days(self.weekday_list(x))
                    };
                    on = Some(Spanned::new(o, span));
                }
                Rule::at_time => at = self.at_time(c),
                Rule::ident => ident = Some(self.ident(c)),
                Rule::date_value => date = self.value(c),
                Rule::wait_offset => {
                    let mut inner = c.into_inner();
                    let minus = inner.next()?.as_rule() == Rule::kw_minus;
                    let d = self.duration(inner.find(|x| x.as_rule() == Rule::duration)?);
                    offset = Some((minus, d));
                }
                _ => {}
            }
        }
        Some(match rule {
            Rule::wait_for => WaitKind::For {
                duration: duration?,
                on,
                at,
            },
            Rule::wait_until_date => WaitKind::Until(date?),
            Rule::wait_until_field => WaitKind::UntilField {
                field: ident?,
                offset,
                at,
            },
            _ => WaitKind::NextAnniversary { field: ident?, at },
        })
    }

    // ------------------------------------------------------------ tests

    fn test_decl(&mut self, p: P) -> Option<TestDecl> {
        let span = self.span(&p);
        let mut name = None;
        let mut statements = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string => name = Some(self.name(c)),
                Rule::test_stmt => {
                    if let Some(inner) = c.into_inner().next() {
                        if let Some(st) = self.test_statement(inner) {
                            statements.push(st);
                        }
                    }
                }
                _ => {}
            }
        }
        Some(TestDecl {
            name: name?,
            statements,
            span,
        })
    }

    fn test_statement(&mut self, p: P) -> Option<TestStatement> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut strings = Vec::new();
        let mut dates = Vec::new();
        let mut fields = Vec::new();
        let mut rest = Vec::new();
        for c in p.clone().into_inner() {
            match c.as_rule() {
                Rule::string => strings.push(self.name(c)),
                Rule::date_value => dates.push(self.value(c)?),
                Rule::field_values => fields = self.field_values(c),
                _ => rest.push(c),
            }
        }
        let mut strings = strings.into_iter();
        let mut dates = dates.into_iter();
        let kind = match rule {
            Rule::ts_from => TestStatementKind::From(dates.next()?),
            Rule::ts_person => TestStatementKind::Person {
                email: strings.next()?,
                fields,
            },
            Rule::ts_people => TestStatementKind::People(strings.next()?),
            Rule::ts_events => TestStatementKind::Events(strings.next()?),
            Rule::ts_at => {
                let at = dates.next()?;
                let person = strings.next()?;
                let ev = rest.into_iter().find(|c| c.as_rule() == Rule::test_event)?;
                let event = self.test_event(ev.into_inner().next()?)?;
                TestStatementKind::At { at, person, event }
            }
            Rule::ts_run => TestStatementKind::Run {
                campaign: strings.next()?,
                at: dates.next(),
            },
            Rule::ts_until => TestStatementKind::Until(dates.next()?),
            Rule::ts_expect => {
                let x = rest.into_iter().find(|c| {
                    matches!(
                        c.as_rule(),
                        Rule::x_email | Rule::x_waiting | Rule::x_count | Rule::x_person
                    )
                })?;
                TestStatementKind::Expect(self.expectation(x)?)
            }
            _ => {
                self.unexpected(&p);
                return None;
            }
        };
        Some(TestStatement { kind, span })
    }

    fn field_values(&mut self, p: P) -> Vec<FieldValue> {
        let mut out = Vec::new();
        for c in p.into_inner().filter(|c| c.as_rule() == Rule::field_value) {
            let mut field = None;
            let mut value = None;
            for x in c.into_inner() {
                match x.as_rule() {
                    Rule::ident => field = Some(self.ident(x)),
                    Rule::value => value = self.value(x),
                    _ => {}
                }
            }
            if let (Some(field), Some(value)) = (field, value) {
                out.push(FieldValue { field, value });
            }
        }
        out
    }

    fn test_event(&mut self, p: P) -> Option<TestEvent> {
        let rule = p.as_rule();
        let mut strings = Vec::new();
        let mut page = None;
        let mut fields = Vec::new();
        for c in p.clone().into_inner() {
            match c.as_rule() {
                Rule::string => strings.push(self.name(c)),
                Rule::on_page => {
                    let s = c.into_inner().find(|x| x.as_rule() == Rule::string)?;
                    page = Some(self.name(s));
                }
                Rule::field_values => fields = self.field_values(c),
                _ => {}
            }
        }
        let mut strings = strings.into_iter();
        Some(match rule {
            Rule::e_fills => TestEvent::FillsOutForm {
                form: strings.next()?,
                page,
                fields,
            },
            Rule::e_visits => TestEvent::VisitsPage(strings.next()?),
            Rule::e_clicks => TestEvent::ClicksLink {
                link: strings.next()?,
                email: strings.next()?,
            },
            Rule::e_opens => TestEvent::OpensEmail(strings.next()?),
            Rule::e_delivered => TestEvent::EmailDelivered(strings.next()?),
            Rule::e_bounces => TestEvent::EmailBounces(strings.next()?),
            Rule::e_unsubscribes => TestEvent::Unsubscribes(strings.next()),
            Rule::e_data_changes => TestEvent::DataValueChanges(fields),
            Rule::e_has_event => TestEvent::HasEvent {
                event: strings.next()?,
                attributes: fields,
            },
            Rule::e_requests => TestEvent::RequestsCampaign(strings.next()?),
            _ => {
                self.unexpected(&p);
                return None;
            }
        })
    }

    fn expectation(&mut self, p: P) -> Option<Expectation> {
        let rule = p.as_rule();
        let mut strings = Vec::new();
        let mut condition = None;
        let mut count = None;
        let mut negated = false;
        let mut conditions = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::string => strings.push(self.name(c)),
                Rule::cond_expr => condition = self.cond_expr(c),
                Rule::not_op => negated = true,
                Rule::x_no_one => count = Some((Spanned::new(0, self.span(&c)), CountWord::NoOne)),
                Rule::x_number => {
                    let mut n = None;
                    let mut word = CountWord::People;
                    for x in c.into_inner() {
                        match x.as_rule() {
                            Rule::uint => n = Some(self.uint(&x)),
                            Rule::kw_person => word = CountWord::Person,
                            _ => {}
                        }
                    }
                    count = Some((n?, word));
                }
                Rule::message_condition => {
                    if let Some(m) = self.message_condition(c) {
                        conditions.push(m);
                    }
                }
                _ => {}
            }
        }
        let mut strings = strings.into_iter();
        Some(match rule {
            Rule::x_email => Expectation::Email {
                email: strings.next()?,
                to: strings.next()?,
                conditions,
            },
            Rule::x_waiting => Expectation::Waiting {
                person: strings.next()?,
                negated,
                campaign: strings.next()?,
            },
            Rule::x_count => {
                let (count, word) = count?;
                Expectation::Count {
                    count,
                    word,
                    condition: condition?,
                }
            }
            _ => Expectation::Person {
                person: strings.next()?,
                condition: condition?,
            },
        })
    }

    fn message_condition(&mut self, p: P) -> Option<MessageCondition> {
        let span = self.span(&p);
        let mut part = None;
        let mut op = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::message_part => {
                    let which = match c.clone().into_inner().next().map(|k| k.as_rule()) {
                        Some(Rule::kw_subject) => MessagePart::Subject,
                        _ => MessagePart::Body,
                    };
                    part = Some(Spanned::new(which, self.span(&c)));
                }
                Rule::field_op => op = self.field_op(c),
                _ => {}
            }
        }
        let (op, op_span) = op?;
        Some(MessageCondition {
            part: part?,
            op,
            op_span,
            span,
        })
    }

    // ------------------------------------------------------------ values

    fn value(&mut self, p: P) -> Option<Value> {
        let p = match p.as_rule() {
            Rule::value | Rule::date_value => p.into_inner().next()?,
            _ => p,
        };
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::string => ValueKind::Text(self.template(p)),
            Rule::number => ValueKind::Number(self.number(p.as_str(), span)?),
            Rule::bool => {
                ValueKind::Bool(p.into_inner().next().map(|k| k.as_rule()) == Some(Rule::kw_true))
            }
            Rule::date => ValueKind::Date(self.date(p.as_str(), span)?),
            Rule::datetime => ValueKind::DateTime(self.datetime(p.as_str(), span)?),
            _ => {
                self.unexpected(&p);
                return None;
            }
        };
        Some(Value { kind, span })
    }

    fn number(&mut self, text: &str, span: Span) -> Option<f64> {
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.error(span, format!("`{text}` is not a number camp can hold"));
                None
            }
        }
    }

    fn uint(&mut self, p: &P) -> Spanned<u32> {
        let span = self.span(p);
        let v = match p.as_str().parse::<u32>() {
            Ok(v) => v,
            Err(_) => {
                self.error(span, format!("`{}` is too large", p.as_str()));
                0
            }
        };
        Spanned::new(v, span)
    }

    fn date(&mut self, text: &str, span: Span) -> Option<NaiveDate> {
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.error_help(
                    span,
                    format!("`{text}` is not a valid date"),
                    "dates are written YYYY-MM-DD with a real month and day",
                );
                None
            }
        }
    }

    fn time(&mut self, text: &str, span: Span) -> Option<NaiveTime> {
        let parsed = NaiveTime::parse_from_str(text, "%H:%M:%S")
            .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"));
        match parsed {
            Ok(t) => Some(t),
            Err(_) => {
                self.error_help(
                    span,
                    format!("`{text}` is not a valid time of day"),
                    "times are written HH:MM, from 00:00 to 23:59",
                );
                None
            }
        }
    }

    fn datetime(&mut self, text: &str, span: Span) -> Option<DateTimeLit> {
        let (date_part, rest) = text.split_at(10.min(text.len()));
        let rest = rest.trim_start_matches(['T', ' ', '\t']);
        let (clock, offset_seconds) = if let Some(c) = rest.strip_suffix('Z') {
            (c, Some(0))
        } else if rest.len() > 6 && matches!(rest.as_bytes()[rest.len() - 6], b'+' | b'-') {
            let (c, off) = rest.split_at(rest.len() - 6);
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let hours: i32 = off[1..3].parse().unwrap_or(99);
            let minutes: i32 = off[4..6].parse().unwrap_or(99);
            if hours > 23 || minutes > 59 {
                self.error(span, format!("`{off}` is not a valid UTC offset"));
                return None;
            }
            (c, Some(sign * (hours * 3600 + minutes * 60)))
        } else {
            (rest, None)
        };
        let date = self.date(date_part, span)?;
        let time = self.time(clock, span)?;
        Some(DateTimeLit {
            local: NaiveDateTime::new(date, time),
            offset_seconds,
        })
    }

    fn duration(&mut self, p: P) -> Duration {
        let span = self.span(&p);
        let mut amount = 0;
        let mut unit = TimeUnit::Day;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::uint => amount = self.uint(&c).node,
                Rule::duration_unit | Rule::interval_unit => {
                    unit = match c.into_inner().next().map(|k| k.as_rule()) {
                        Some(Rule::kw_minute | Rule::kw_minutes) => TimeUnit::Minute,
                        Some(Rule::kw_hour | Rule::kw_hours) => TimeUnit::Hour,
                        Some(Rule::kw_day | Rule::kw_days) => TimeUnit::Day,
                        Some(Rule::kw_week | Rule::kw_weeks) => TimeUnit::Week,
                        _ => TimeUnit::Month,
                    }
                }
                _ => {}
            }
        }
        Duration { amount, unit, span }
    }

    fn ident(&mut self, p: P) -> Ident {
        let span = self.span(&p);
        let name = p.as_str().to_string();
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.error_help(
                span,
                format!("`{name}` is not a valid name"),
                format!(
                    "field, token and attribute names are lower case: `{}`",
                    snake_case(&name)
                ),
            );
        } else if is_reserved(&name) {
            self.error_help(
                span,
                format!("`{name}` is a keyword and cannot be used as a name"),
                format!("choose another name, such as `{name}_value`"),
            );
        }
        Ident { name, span }
    }

    fn name(&mut self, p: P) -> Name {
        // The usual name is plain text between quotes: its text is the literal's inside.
        if let Some(inner) = p.clone().into_inner().next() {
            if inner.as_rule() == Rule::plain_string {
                let mut parts = inner.clone().into_inner();
                let text = match (parts.next(), parts.next()) {
                    (None, _) => Some(""),
                    (Some(t), None) if t.as_rule() == Rule::plain_text => Some(t.as_str()),
                    _ => None,
                };
                if let Some(text) = text {
                    return Name {
                        text: text.to_string(),
                        span: self.span(&p),
                    };
                }
            }
        }
        let t = self.template(p);
        Name {
            text: t.source_text(),
            span: t.span,
        }
    }

    /// A string literal: escapes decoded, tokens split out, triple-quoted text dedented.
    fn template(&mut self, p: P) -> Template {
        let span = self.span(&p);
        let Some(inner) = p.into_inner().next() else {
            return Template {
                parts: Vec::new(),
                span,
            };
        };
        let triple = inner.as_rule() == Rule::triple_string;
        let mut parts: Vec<TemplatePart> = Vec::new();
        for c in inner.into_inner() {
            match c.as_rule() {
                Rule::plain_text | Rule::triple_text | Rule::brace => {
                    push_text(&mut parts, c.as_str())
                }
                Rule::escape => {
                    let s = c.as_str();
                    let decoded = match s {
                        "\\\"" => Some('"'),
                        "\\\\" => Some('\\'),
                        "\\n" => Some('\n'),
                        "\\t" => Some('\t'),
                        _ => s
                            .strip_prefix("\\u{")
                            .and_then(|h| h.strip_suffix('}'))
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .and_then(char::from_u32),
                    };
                    match decoded {
                        Some(ch) => push_text(&mut parts, ch.encode_utf8(&mut [0; 4])),
                        None => {
                            let espan = self.span(&c);
                            self.error_help(
                                espan,
                                format!("`{s}` is not a valid Unicode escape"),
                                "a `\\u{...}` escape holds a Unicode code point in hexadecimal: \
                                 at most `10FFFF`, and not `D800` to `DFFF`",
                            );
                        }
                    }
                }
                Rule::token => {
                    if let Some(t) = self.token(c) {
                        parts.push(TemplatePart::Token(t));
                    }
                }
                _ => {}
            }
        }
        if triple {
            parts = dedent(parts);
        }
        Template { parts, span }
    }

    fn token(&mut self, p: P) -> Option<TokenRef> {
        let span = self.span(&p);
        let mut namespace = None;
        let mut name = None;
        let mut raw = false;
        let mut default = None;
        for c in p.into_inner() {
            let cspan = self.span(&c);
            match c.as_rule() {
                Rule::token_ns => {
                    namespace = Some(Ident {
                        name: c.as_str().to_string(),
                        span: cspan,
                    })
                }
                Rule::token_name => {
                    name = Some(Ident {
                        name: c.as_str().to_string(),
                        span: cspan,
                    })
                }
                Rule::token_raw => raw = true,
                Rule::token_default => {
                    default = Some(c.as_str().trim_start_matches(":default=").to_string())
                }
                _ => {}
            }
        }
        Some(TokenRef {
            namespace: namespace?,
            name: name?,
            raw,
            default,
            span,
        })
    }
}

/// Where the last token under `p` that does not end in whitespace ends: the largest end among
/// such descendants, found from the last child backwards (a later child's tokens end after
/// every earlier child's).
fn last_token_end(p: &P) -> Option<usize> {
    for c in p.clone().into_inner().rev() {
        if !c.as_str().ends_with(|ch: char| ch.is_whitespace()) {
            return Some(c.as_span().end());
        }
        if let Some(end) = last_token_end(&c) {
            return Some(end);
        }
    }
    None
}

fn is_date_value(p: &P) -> bool {
    p.as_rule() == Rule::date_value
}

fn first_line(s: &str) -> &str {
    let line = s.lines().next().unwrap_or("");
    match line.char_indices().nth(40) {
        Some((i, _)) => &line[..i],
        None => line,
    }
}

fn push_text(parts: &mut Vec<TemplatePart>, s: &str) {
    if let Some(TemplatePart::Text(t)) = parts.last_mut() {
        t.push_str(s);
    } else {
        parts.push(TemplatePart::Text(s.to_string()));
    }
}

/// An atom of boolean logic: a condition absorbs a `not` written before it, a filter number
/// does not.
trait Atom {
    fn absorb_not(&mut self, not: Span) -> bool;
    fn span(&self) -> Span;
}

impl Atom for Condition {
    fn absorb_not(&mut self, not: Span) -> bool {
        self.negated = !self.negated;
        self.span = not.to(self.span);
        true
    }
    fn span(&self) -> Span {
        self.span
    }
}

impl Atom for Spanned<u32> {
    fn absorb_not(&mut self, _: Span) -> bool {
        false
    }
    fn span(&self) -> Span {
        self.span
    }
}

fn expr_span<T: Atom>(e: &BoolExpr<T>) -> Span {
    match e {
        BoolExpr::Atom(a) => a.span(),
        BoolExpr::Not(_, s)
        | BoolExpr::And(_, s)
        | BoolExpr::Or(_, s)
        | BoolExpr::Group(_, s)
        | BoolExpr::Mixed { span: s, .. } => *s,
    }
}

/// Triple-quoted strings: drop the line break after the opening quotes and the one before the
/// closing quotes, and remove the leading whitespace common to the non-empty lines.
fn dedent(parts: Vec<TemplatePart>) -> Vec<TemplatePart> {
    // Work on one string where each token is a private-use placeholder character.
    const BASE: u32 = 0xF0000;
    let mut text = String::new();
    let mut tokens = Vec::new();
    for p in parts {
        match p {
            TemplatePart::Text(t) => text.push_str(&t),
            TemplatePart::Token(t) => {
                text.push(char::from_u32(BASE + tokens.len() as u32).unwrap_or('\u{FFFD}'));
                tokens.push(t);
            }
        }
    }
    if let Some(rest) = text
        .strip_prefix("\r\n")
        .or_else(|| text.strip_prefix('\n'))
    {
        text = rest.to_string();
    }
    if let Some(idx) = text.rfind('\n') {
        if text[idx + 1..].chars().all(|c| c == ' ' || c == '\t') {
            text.truncate(idx);
            if text.ends_with('\r') {
                text.pop();
            }
        }
    }
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    let dedented: Vec<&str> = text
        .split('\n')
        .map(|l| {
            if l.trim().is_empty() {
                l.trim_start_matches([' ', '\t'])
            } else {
                l.get(indent..).unwrap_or(l)
            }
        })
        .collect();
    let joined = dedented.join("\n");
    let mut out = Vec::new();
    let mut tokens: Vec<Option<TokenRef>> = tokens.into_iter().map(Some).collect();
    // Text runs between placeholders are pushed whole.
    let mut run = 0;
    for (i, ch) in joined.char_indices() {
        let code = ch as u32;
        if code >= BASE && ((code - BASE) as usize) < tokens.len() {
            if let Some(t) = tokens[(code - BASE) as usize].take() {
                if run < i {
                    push_text(&mut out, &joined[run..i]);
                }
                out.push(TemplatePart::Token(t));
                run = i + ch.len_utf8();
            }
        }
    }
    if run < joined.len() {
        push_text(&mut out, &joined[run..]);
    }
    out
}

/// `FirstName` → `first_name`: the lower-case spelling suggested for a name with capitals.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}
