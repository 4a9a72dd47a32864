//! The name index: every declaration and use of a name, by kind, found by walking the AST.
//!
//! Names are compared exactly and each kind has its own namespace, as in the checker: a list
//! and a campaign called "Welcome" are different names.

use crate::syntax::ast::*;

/// The kinds of name the server navigates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameKind {
    /// A person field (`schema person`, or built in).
    Field,
    /// `list "X"`
    List,
    /// `email "X"`
    Email,
    /// `form "X"`
    Form,
    /// `page "X"`
    Page,
    /// `program "X"`
    Program,
    /// `webhook "X"`
    Webhook,
    /// `event "X"`
    Event,
    /// `token x = ...`
    Token,
    /// `smart list "X"`
    SmartList,
    /// `campaign "X"`
    Campaign,
}

impl NameKind {
    /// The kind as users call it.
    pub fn describe(self) -> &'static str {
        match self {
            NameKind::Field => "field",
            NameKind::List => "list",
            NameKind::Email => "email",
            NameKind::Form => "form",
            NameKind::Page => "page",
            NameKind::Program => "program",
            NameKind::Webhook => "webhook",
            NameKind::Event => "event",
            NameKind::Token => "token",
            NameKind::SmartList => "smart list",
            NameKind::Campaign => "campaign",
        }
    }
}

/// One place where a name is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// Its kind.
    pub kind: NameKind,
    /// The name (decoded text for quoted names).
    pub name: String,
    /// Where it is written (quotes included for quoted names).
    pub span: Span,
    /// True for the declaration, false for a use.
    pub decl: bool,
}

/// Every occurrence of every name in a set of scripts.
#[derive(Clone, Debug, Default)]
pub struct NameIndex {
    /// In no particular order.
    pub occurrences: Vec<Occurrence>,
}

impl NameIndex {
    /// Walks `scripts`.
    pub fn build<'a>(scripts: impl IntoIterator<Item = &'a Script>) -> NameIndex {
        let mut w = Walker::default();
        for s in scripts {
            for item in &s.items {
                w.item(item);
            }
        }
        NameIndex { occurrences: w.out }
    }

    /// The occurrence under byte `offset` of `file` (the innermost if several).
    pub fn at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        let o = offset as u32;
        self.occurrences
            .iter()
            .filter(|x| x.span.file == file && x.span.start <= o && o <= x.span.end)
            .min_by_key(|x| x.span.len())
    }

    /// The declarations of a name.
    pub fn declarations<'a>(
        &'a self,
        kind: NameKind,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences
            .iter()
            .filter(move |x| x.decl && x.kind == kind && x.name == name)
    }

    /// Every occurrence of a name, declarations included.
    pub fn references<'a>(
        &'a self,
        kind: NameKind,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences
            .iter()
            .filter(move |x| x.kind == kind && x.name == name)
    }

    /// The declared names of a kind, sorted, without repeats.
    pub fn declared(&self, kind: NameKind) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .occurrences
            .iter()
            .filter(|x| x.decl && x.kind == kind)
            .map(|x| x.name.as_str())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

#[derive(Default)]
struct Walker {
    out: Vec<Occurrence>,
}

impl Walker {
    fn push(&mut self, kind: NameKind, name: &str, span: Span, decl: bool) {
        self.out.push(Occurrence {
            kind,
            name: name.to_string(),
            span,
            decl,
        });
    }

    fn decl(&mut self, kind: NameKind, n: &Name) {
        self.push(kind, &n.text, n.span, true);
    }

    fn use_(&mut self, kind: NameKind, n: &Name) {
        self.push(kind, &n.text, n.span, false);
    }

    fn use_opt(&mut self, kind: NameKind, n: &Option<Name>) {
        if let Some(n) = n {
            self.use_(kind, n);
        }
    }

    fn field(&mut self, i: &Ident) {
        self.push(NameKind::Field, &i.name, i.span, false);
    }

    fn template(&mut self, t: &Template) {
        for tok in t.tokens() {
            match tok.namespace.name.as_str() {
                "person" => self.push(NameKind::Field, &tok.name.name, tok.name.span, false),
                "my" => self.push(NameKind::Token, &tok.name.name, tok.name.span, false),
                _ => {}
            }
        }
    }

    fn value(&mut self, v: &Value) {
        if let ValueKind::Text(t) = &v.kind {
            self.template(t);
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Settings(_) => {}
            Item::Schema(s) => {
                for f in &s.fields {
                    self.push(NameKind::Field, &f.name.name, f.name.span, true);
                }
            }
            Item::List(n) => self.decl(NameKind::List, n),
            Item::Form(n) => self.decl(NameKind::Form, n),
            Item::Page(n) => self.decl(NameKind::Page, n),
            Item::Email(e) => {
                self.decl(NameKind::Email, &e.name);
                for t in e.subject.iter().chain(e.body.iter()) {
                    self.template(t);
                }
            }
            Item::Webhook(w) => {
                self.decl(NameKind::Webhook, &w.name);
                for t in w.url.iter().chain(w.body.iter()) {
                    self.template(t);
                }
            }
            Item::Event(e) => self.decl(NameKind::Event, &e.name),
            Item::Program(p) => self.decl(NameKind::Program, &p.name),
            Item::Token(t) => {
                self.push(NameKind::Token, &t.name.name, t.name.span, true);
                self.template(&t.value);
            }
            Item::SmartList(s) => {
                self.decl(NameKind::SmartList, &s.name);
                self.smart_list(&s.body);
            }
            Item::Test(t) => self.test(t),
            Item::Campaign(c) => {
                self.decl(NameKind::Campaign, &c.name);
                for s in &c.statements {
                    match s {
                        CampaignStatement::Description(t, _) => self.template(t),
                        CampaignStatement::InProgram(n, _) => self.use_(NameKind::Program, n),
                        CampaignStatement::SmartList(b) => self.smart_list(b),
                        CampaignStatement::Flow(b) => self.block(b),
                        _ => {}
                    }
                }
            }
        }
    }

    fn test(&mut self, t: &TestDecl) {
        for st in &t.statements {
            match &st.kind {
                TestStatementKind::Person { fields, .. } => self.field_values(fields, true),
                TestStatementKind::At { event, .. } => match event {
                    TestEvent::FillsOutForm { form, page, fields } => {
                        self.use_(NameKind::Form, form);
                        self.use_opt(NameKind::Page, page);
                        self.field_values(fields, true);
                    }
                    TestEvent::VisitsPage(p) => self.use_(NameKind::Page, p),
                    TestEvent::ClicksLink { email, .. }
                    | TestEvent::OpensEmail(email)
                    | TestEvent::EmailDelivered(email)
                    | TestEvent::EmailBounces(email) => self.use_(NameKind::Email, email),
                    TestEvent::Unsubscribes(email) => self.use_opt(NameKind::Email, email),
                    TestEvent::DataValueChanges(fields) => self.field_values(fields, true),
                    TestEvent::HasEvent { event, attributes } => {
                        self.use_(NameKind::Event, event);
                        self.field_values(attributes, false);
                    }
                    TestEvent::RequestsCampaign(c) => self.use_(NameKind::Campaign, c),
                },
                TestStatementKind::Run { campaign, .. } => self.use_(NameKind::Campaign, campaign),
                TestStatementKind::Expect(x) => match x {
                    Expectation::Person { condition, .. }
                    | Expectation::Count { condition, .. } => self.cond_expr(condition),
                    Expectation::Email { email, .. } => self.use_(NameKind::Email, email),
                    Expectation::Waiting { campaign, .. } => {
                        self.use_(NameKind::Campaign, campaign)
                    }
                },
                TestStatementKind::From(_)
                | TestStatementKind::People(_)
                | TestStatementKind::Events(_)
                | TestStatementKind::Until(_) => {}
            }
        }
    }

    fn field_values(&mut self, fields: &[FieldValue], person: bool) {
        for f in fields {
            if person {
                self.field(&f.field);
            }
            self.value(&f.value);
        }
    }

    fn smart_list(&mut self, b: &SmartListBody) {
        for t in &b.triggers {
            self.activity(&t.activity);
        }
        for f in &b.filters {
            self.condition(&f.condition);
        }
    }

    fn cond_expr(&mut self, e: &BoolExpr<Condition>) {
        match e {
            BoolExpr::Atom(c) => self.condition(c),
            BoolExpr::Not(x, _) | BoolExpr::Group(x, _) => self.cond_expr(x),
            BoolExpr::And(items, _) | BoolExpr::Or(items, _) | BoolExpr::Mixed { items, .. } => {
                for i in items {
                    self.cond_expr(i);
                }
            }
        }
    }

    fn field_condition(&mut self, f: &FieldCondition, person: bool) {
        if person {
            self.field(&f.field);
        }
        let values: Vec<&Value> = match &f.op {
            FieldOp::Is(vs)
            | FieldOp::IsNot(vs)
            | FieldOp::StartsWith(vs)
            | FieldOp::NotStartsWith(vs)
            | FieldOp::Contains(vs)
            | FieldOp::NotContains(vs) => vs.iter().collect(),
            FieldOp::Greater(v)
            | FieldOp::Less(v)
            | FieldOp::AtLeast(v)
            | FieldOp::AtMost(v)
            | FieldOp::Before(v)
            | FieldOp::After(v)
            | FieldOp::OnOrBefore(v)
            | FieldOp::OnOrAfter(v) => vec![v],
            FieldOp::Between(a, b) => vec![a, b],
            _ => Vec::new(),
        };
        for v in values {
            self.value(v);
        }
    }

    fn condition(&mut self, c: &Condition) {
        match &c.kind {
            ConditionKind::Field(f) => self.field_condition(f, true),
            ConditionKind::AllPeople => {}
            ConditionKind::MemberOfList(n) => self.use_(NameKind::List, n),
            ConditionKind::MemberOfSmartList(n) => self.use_(NameKind::SmartList, n),
            ConditionKind::MemberOfProgram(n) => self.use_(NameKind::Program, n),
            ConditionKind::ProgramStatus { program, .. } => self.use_(NameKind::Program, program),
            ConditionKind::MemberOfCampaign(n) => self.use_(NameKind::Campaign, n),
            ConditionKind::History(h) => self.activity(&h.what),
        }
    }

    fn activity(&mut self, a: &Activity) {
        match a {
            Activity::EmailSent { email }
            | Activity::EmailOpened { email }
            | Activity::EmailDelivered { email }
            | Activity::EmailBounced { email }
            | Activity::Unsubscribed { email } => self.use_opt(NameKind::Email, email),
            Activity::EmailClicked { email, link } => {
                self.use_opt(NameKind::Email, email);
                if let Some(l) = link {
                    self.value(&l.text);
                }
            }
            Activity::FormFilled { form, page } => {
                self.use_opt(NameKind::Form, form);
                self.use_opt(NameKind::Page, page);
            }
            Activity::PageVisited { page } => self.use_opt(NameKind::Page, page),
            Activity::AddedToList { list } | Activity::RemovedFromList { list } => {
                self.use_opt(NameKind::List, list)
            }
            Activity::DataValueChanged { field, to, from } => {
                self.field(field);
                for v in to.iter().chain(from.iter()) {
                    self.value(v);
                }
            }
            Activity::ScoreChanged | Activity::PersonCreated => {}
            Activity::ProgramStatusChanged { program, .. } => {
                self.use_opt(NameKind::Program, program)
            }
            Activity::CampaignRequested { campaign } => self.use_opt(NameKind::Campaign, campaign),
            Activity::CustomEvent { event, conditions } => {
                self.use_(NameKind::Event, event);
                for c in conditions {
                    self.field_condition(c, false);
                }
            }
        }
    }

    fn block(&mut self, b: &Block) {
        for s in &b.steps {
            self.step(s);
        }
    }

    fn step(&mut self, s: &Step) {
        match &s.kind {
            StepKind::SendEmail(n) => self.use_(NameKind::Email, n),
            StepKind::SendAlert { email, to } => {
                self.use_(NameKind::Email, email);
                for t in to {
                    self.template(t);
                }
            }
            StepKind::ChangeField { field, value } => {
                self.field(field);
                if let ChangeValue::To(v) | ChangeValue::By(v) = value {
                    self.value(v);
                }
            }
            StepKind::ChangeProgramStatus { program, .. } => self.use_(NameKind::Program, program),
            StepKind::AddToList(n) | StepKind::RemoveFromList(n) => self.use_(NameKind::List, n),
            StepKind::Wait(w) => match w {
                WaitKind::UntilField { field, .. } | WaitKind::NextAnniversary { field, .. } => {
                    self.field(field)
                }
                _ => {}
            },
            StepKind::RequestCampaign(n) | StepKind::ExecuteCampaign(n) => {
                self.use_(NameKind::Campaign, n)
            }
            StepKind::RemoveFromFlow(ns) => {
                for n in ns {
                    self.use_(NameKind::Campaign, n);
                }
            }
            StepKind::CallWebhook(n) => self.use_(NameKind::Webhook, n),
            StepKind::InterestingMoment(t) => self.template(t),
            StepKind::DeletePerson => {}
            StepKind::If {
                branches,
                otherwise,
            } => {
                for (c, b) in branches {
                    self.cond_expr(c);
                    self.block(b);
                }
                if let Some(b) = otherwise {
                    self.block(b);
                }
            }
        }
    }
}
