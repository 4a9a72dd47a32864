//! Re-parsing after an edit: only the top-level items the edit touches are parsed again; the
//! items after them keep their trees, moved by the change in length.
//!
//! Top-level items follow each other with nothing shared between them: each ends with `"` or
//! `}` and none starts with `{`, so parsing the text between two untouched items on its own
//! gives what a full parse would. When that window does not parse (or anything else is
//! doubtful) the caller parses the whole file, which also gives the exact syntax diagnostics.

use crate::syntax::ast::*;

/// The items of `new`, reusing `old_items` (parsed from `old`) outside the edited region; `None`
/// when the edited window does not parse on its own.
pub fn reparse(file: FileId, old: &str, old_items: &mut Vec<Item>, new: &str) -> Option<()> {
    let mut p = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(p) || !new.is_char_boundary(p) {
        p -= 1;
    }
    let max_s = old.len().min(new.len()) - p;
    let mut s = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_s)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - s) || !new.is_char_boundary(new.len() - s) {
        s -= 1;
    }
    let old_end = old.len() - s;
    // Items wholly before the edit, and wholly after it.
    // Tests are re-parsed with their whole file: their statements are not shifted in place.
    if old_items.iter().any(|i| matches!(i, Item::Test(_))) {
        return None;
    }
    let k0 = old_items
        .iter()
        .take_while(|i| (i.span().end as usize) < p)
        .count();
    let k1 = old_items
        .iter()
        .position(|i| (i.span().start as usize) > old_end)
        .unwrap_or(old_items.len())
        .max(k0);
    let a = if k0 == 0 {
        0
    } else {
        old_items[k0 - 1].span().end as usize
    };
    let b = old_items
        .get(k1)
        .map_or(old.len(), |i| i.span().start as usize);
    let delta = new.len() as i64 - old.len() as i64;
    let b_new = usize::try_from(b as i64 + delta).ok()?;
    let window = new.get(a..b_new)?;
    // A comment on the window's last line could run on over the next item: parse it all.
    let last_line = window.rfind('\n').map_or(window, |i| &window[i + 1..]);
    if last_line.contains('#') {
        return None;
    }
    let mut middle = crate::syntax::parse_items(file, window).ok()?;
    if a != 0 && middle.iter().any(|i| matches!(i, Item::Test(_))) {
        return None;
    }
    for item in &mut middle {
        item.shift(a as i64);
    }
    let mut tail = old_items.split_off(k1);
    for item in &mut tail {
        item.shift(delta);
    }
    old_items.truncate(k0);
    old_items.extend(middle);
    old_items.extend(tail);
    Some(())
}

/// Moves every span of a node by `d` bytes.
pub trait Shift {
    /// Adds `d` to every start and end.
    fn shift(&mut self, d: i64);
}

impl Shift for Span {
    fn shift(&mut self, d: i64) {
        self.start = (i64::from(self.start) + d).max(0) as u32;
        self.end = (i64::from(self.end) + d).max(0) as u32;
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, d: i64) {
        if let Some(x) = self {
            x.shift(d);
        }
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, d: i64) {
        for x in self {
            x.shift(d);
        }
    }
}

impl<T: Shift> Shift for Box<T> {
    fn shift(&mut self, d: i64) {
        (**self).shift(d);
    }
}

impl<A: Shift, B: Shift> Shift for (A, B) {
    fn shift(&mut self, d: i64) {
        self.0.shift(d);
        self.1.shift(d);
    }
}

/// Values without spans.
macro_rules! no_spans {
    ($($t:ty),*) => {
        $(impl Shift for $t {
            fn shift(&mut self, _: i64) {}
        })*
    };
}

no_spans!(
    u32,
    u64,
    bool,
    FieldType,
    CampaignKind,
    LogicOp,
    RecurUnit,
    chrono::NaiveTime,
    chrono::Weekday
);

impl<T: Shift> Shift for Spanned<T> {
    fn shift(&mut self, d: i64) {
        self.node.shift(d);
        self.span.shift(d);
    }
}

impl Shift for Name {
    fn shift(&mut self, d: i64) {
        self.span.shift(d);
    }
}

impl Shift for Ident {
    fn shift(&mut self, d: i64) {
        self.span.shift(d);
    }
}

impl Shift for Template {
    fn shift(&mut self, d: i64) {
        self.span.shift(d);
        for p in &mut self.parts {
            if let TemplatePart::Token(t) = p {
                t.namespace.shift(d);
                t.name.shift(d);
                t.span.shift(d);
            }
        }
    }
}

impl Shift for Value {
    fn shift(&mut self, d: i64) {
        self.span.shift(d);
        if let ValueKind::Text(t) = &mut self.kind {
            t.shift(d);
        }
    }
}

impl Shift for Duration {
    fn shift(&mut self, d: i64) {
        self.span.shift(d);
    }
}

impl Shift for Item {
    fn shift(&mut self, d: i64) {
        match self {
            Item::Settings(s) => {
                s.span.shift(d);
                s.keyword.shift(d);
                for e in &mut s.entries {
                    match e {
                        Setting::TimeZone(n) => n.shift(d),
                        Setting::CommunicationLimits {
                            per_day,
                            per_week,
                            span,
                        } => {
                            per_day.shift(d);
                            per_week.shift(d);
                            span.shift(d);
                        }
                        Setting::CascadeDepth(n) => n.shift(d),
                        Setting::From(n) => n.shift(d),
                        Setting::DeliveryRate { rate, span } => {
                            rate.shift(d);
                            span.shift(d);
                        }
                    }
                }
            }
            Item::Schema(s) => {
                s.span.shift(d);
                s.fields.shift(d);
            }
            Item::List(n) | Item::Form(n) | Item::Page(n) => n.shift(d),
            Item::Email(e) => {
                e.name.shift(d);
                e.subject.shift(d);
                e.body.shift(d);
                e.operational.shift(d);
                e.repeated.shift(d);
                e.span.shift(d);
            }
            Item::Webhook(w) => {
                w.name.shift(d);
                w.url.shift(d);
                w.method.shift(d);
                w.body.shift(d);
                w.repeated.shift(d);
                w.span.shift(d);
            }
            Item::Event(e) => {
                e.name.shift(d);
                e.attributes.shift(d);
                e.span.shift(d);
            }
            Item::Program(p) => {
                p.name.shift(d);
                p.statuses.shift(d);
                p.span.shift(d);
            }
            Item::Token(t) => {
                t.name.shift(d);
                t.value.shift(d);
                t.span.shift(d);
            }
            Item::SmartList(s) => {
                s.name.shift(d);
                s.body.shift(d);
                s.span.shift(d);
            }
            // Never reached: `reparse` parses a file holding tests whole.
            Item::Test(t) => {
                t.name.shift(d);
                t.span.shift(d);
            }
            Item::Campaign(c) => {
                c.declared_kind.shift(d);
                c.name.shift(d);
                c.statements.shift(d);
                c.header.shift(d);
                c.span.shift(d);
            }
        }
    }
}

impl Shift for FieldDecl {
    fn shift(&mut self, d: i64) {
        self.name.shift(d);
        self.ty.shift(d);
        self.span.shift(d);
    }
}

impl Shift for SmartListBody {
    fn shift(&mut self, d: i64) {
        self.triggers.shift(d);
        self.filters.shift(d);
        self.matches.shift(d);
        self.span.shift(d);
    }
}

impl Shift for Trigger {
    fn shift(&mut self, d: i64) {
        self.activity.shift(d);
        self.span.shift(d);
    }
}

impl Shift for Filter {
    fn shift(&mut self, d: i64) {
        self.condition.shift(d);
        self.span.shift(d);
    }
}

impl Shift for Match {
    fn shift(&mut self, d: i64) {
        if let MatchLogic::Expr(e) = &mut self.logic {
            e.shift(d);
        }
        self.span.shift(d);
    }
}

impl<T: Shift> Shift for BoolExpr<T> {
    fn shift(&mut self, d: i64) {
        match self {
            BoolExpr::Atom(a) => a.shift(d),
            BoolExpr::Not(x, s) | BoolExpr::Group(x, s) => {
                x.shift(d);
                s.shift(d);
            }
            BoolExpr::And(items, s) | BoolExpr::Or(items, s) => {
                items.shift(d);
                s.shift(d);
            }
            BoolExpr::Mixed { items, ops, span } => {
                items.shift(d);
                ops.shift(d);
                span.shift(d);
            }
        }
    }
}

impl Shift for Condition {
    fn shift(&mut self, d: i64) {
        self.span.shift(d);
        match &mut self.kind {
            ConditionKind::Field(f) => f.shift(d),
            ConditionKind::AllPeople => {}
            ConditionKind::MemberOfList(n)
            | ConditionKind::MemberOfSmartList(n)
            | ConditionKind::MemberOfProgram(n)
            | ConditionKind::MemberOfCampaign(n) => n.shift(d),
            ConditionKind::ProgramStatus { program, status } => {
                program.shift(d);
                status.shift(d);
            }
            ConditionKind::History(h) => {
                h.what.shift(d);
                if let Some(c) = &mut h.count {
                    c.n.shift(d);
                    c.span.shift(d);
                }
                match &mut h.window {
                    None => {}
                    Some(Window::InPast(x)) => x.shift(d),
                    Some(Window::Since(v)) | Some(Window::Before(v)) => v.shift(d),
                    Some(Window::Between(a, b, s)) => {
                        a.shift(d);
                        b.shift(d);
                        s.shift(d);
                    }
                }
            }
        }
    }
}

impl Shift for FieldCondition {
    fn shift(&mut self, d: i64) {
        self.field.shift(d);
        self.op_span.shift(d);
        match &mut self.op {
            FieldOp::Is(vs)
            | FieldOp::IsNot(vs)
            | FieldOp::StartsWith(vs)
            | FieldOp::NotStartsWith(vs)
            | FieldOp::Contains(vs)
            | FieldOp::NotContains(vs) => vs.shift(d),
            FieldOp::IsEmpty | FieldOp::IsNotEmpty => {}
            FieldOp::Greater(v)
            | FieldOp::Less(v)
            | FieldOp::AtLeast(v)
            | FieldOp::AtMost(v)
            | FieldOp::Before(v)
            | FieldOp::After(v)
            | FieldOp::OnOrBefore(v)
            | FieldOp::OnOrAfter(v) => v.shift(d),
            FieldOp::Between(a, b) => {
                a.shift(d);
                b.shift(d);
            }
            FieldOp::InPast(x)
            | FieldOp::InPastBefore(x)
            | FieldOp::InFuture(x)
            | FieldOp::InFutureAfter(x) => x.shift(d),
        }
    }
}

impl Shift for Activity {
    fn shift(&mut self, d: i64) {
        match self {
            Activity::EmailSent { email }
            | Activity::EmailOpened { email }
            | Activity::EmailDelivered { email }
            | Activity::EmailBounced { email }
            | Activity::Unsubscribed { email } => email.shift(d),
            Activity::EmailClicked { email, link } => {
                email.shift(d);
                if let Some(l) = link {
                    l.text.shift(d);
                    l.span.shift(d);
                }
            }
            Activity::FormFilled { form, page } => {
                form.shift(d);
                page.shift(d);
            }
            Activity::PageVisited { page } => page.shift(d),
            Activity::AddedToList { list } | Activity::RemovedFromList { list } => list.shift(d),
            Activity::DataValueChanged { field, to, from } => {
                field.shift(d);
                to.shift(d);
                from.shift(d);
            }
            Activity::ScoreChanged | Activity::PersonCreated => {}
            Activity::ProgramStatusChanged { program, to, from } => {
                program.shift(d);
                to.shift(d);
                from.shift(d);
            }
            Activity::CampaignRequested { campaign } => campaign.shift(d),
            Activity::CustomEvent { event, conditions } => {
                event.shift(d);
                conditions.shift(d);
            }
        }
    }
}

impl Shift for CampaignStatement {
    fn shift(&mut self, d: i64) {
        match self {
            CampaignStatement::Description(t, s) => {
                t.shift(d);
                s.shift(d);
            }
            CampaignStatement::InProgram(n, s) => {
                n.shift(d);
                s.shift(d);
            }
            CampaignStatement::SmartList(b) => b.shift(d),
            CampaignStatement::Flow(b) => b.shift(d),
            CampaignStatement::Run(r) => {
                r.span.shift(d);
                match &mut r.kind {
                    ScheduleKind::Once(v) => v.shift(d),
                    ScheduleKind::Every(e) => {
                        e.interval.shift(d);
                        e.unit.shift(d);
                        e.on.shift(d);
                        e.at.shift(d);
                        e.from.shift(d);
                        e.until.shift(d);
                    }
                }
            }
            CampaignStatement::Activation(_, s) | CampaignStatement::BlockNonOperational(s) => {
                s.shift(d)
            }
            CampaignStatement::Qualify(q, s) => {
                if let QualifyRule::OnceEvery(x) = q {
                    x.shift(d);
                }
                s.shift(d);
            }
            CampaignStatement::MaxPeople(n, s) => {
                n.shift(d);
                s.shift(d);
            }
        }
    }
}

impl Shift for RecurOn {
    fn shift(&mut self, d: i64) {
        if let RecurOn::Days(days) = self {
            days.shift(d);
        }
    }
}

impl Shift for Block {
    fn shift(&mut self, d: i64) {
        self.steps.shift(d);
        self.span.shift(d);
    }
}

impl Shift for Step {
    fn shift(&mut self, d: i64) {
        self.span.shift(d);
        match &mut self.kind {
            StepKind::SendEmail(n)
            | StepKind::AddToList(n)
            | StepKind::RemoveFromList(n)
            | StepKind::RequestCampaign(n)
            | StepKind::ExecuteCampaign(n)
            | StepKind::CallWebhook(n) => n.shift(d),
            StepKind::SendAlert { email, to } => {
                email.shift(d);
                to.shift(d);
            }
            StepKind::ChangeField { field, value } => {
                field.shift(d);
                match value {
                    ChangeValue::To(v) | ChangeValue::By(v) => v.shift(d),
                    ChangeValue::Empty(s) => s.shift(d),
                }
            }
            StepKind::ChangeProgramStatus { program, status } => {
                program.shift(d);
                status.shift(d);
            }
            StepKind::Wait(w) => match w {
                WaitKind::For { duration, on, at } => {
                    duration.shift(d);
                    on.shift(d);
                    at.shift(d);
                }
                WaitKind::Until(v) => v.shift(d),
                WaitKind::UntilField { field, offset, at } => {
                    field.shift(d);
                    offset.shift(d);
                    at.shift(d);
                }
                WaitKind::NextAnniversary { field, at } => {
                    field.shift(d);
                    at.shift(d);
                }
            },
            StepKind::RemoveFromFlow(ns) => ns.shift(d),
            StepKind::InterestingMoment(t) => t.shift(d),
            StepKind::DeletePerson => {}
            StepKind::If {
                branches,
                otherwise,
            } => {
                branches.shift(d);
                otherwise.shift(d);
            }
        }
    }
}
