//! The untyped syntax tree of a `.camp` script.
//!
//! Owned (no borrowed lifetimes) so that a REPL or a language server can keep it, and with a
//! [`Span`] on every node. Names are not resolved here: that is the checker's job.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;

pub use super::span::{FileId, Span, Spanned};

/// One parsed file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Script {
    /// The file this script came from.
    pub file: FileId,
    /// Top-level items, in source order.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Item {
    /// `settings { ... }`
    Settings(Settings),
    /// `schema person { ... }`
    Schema(Schema),
    /// `list "Name"`
    List(Name),
    /// `email "Name" { ... }`
    Email(EmailDecl),
    /// `form "Name"`
    Form(Name),
    /// `page "Name"`
    Page(Name),
    /// `webhook "Name" { ... }`
    Webhook(WebhookDecl),
    /// `event "name" { attr: type, ... }`
    Event(EventDecl),
    /// `program "Name" { statuses ... }`
    Program(ProgramDecl),
    /// `token name = "value"`
    Token(TokenDecl),
    /// `smart list "Name" { ... }`
    SmartList(SmartListDecl),
    /// `campaign "Name" { ... }`
    Campaign(Campaign),
    /// `test "Name" { ... }` (LANGUAGE.md section 11)
    Test(TestDecl),
}

impl Item {
    /// The whole item's span.
    pub fn span(&self) -> Span {
        match self {
            Item::Settings(s) => s.span,
            Item::Schema(s) => s.span,
            Item::List(n) | Item::Form(n) | Item::Page(n) => n.span,
            Item::Email(e) => e.span,
            Item::Webhook(w) => w.span,
            Item::Event(e) => e.span,
            Item::Program(p) => p.span,
            Item::Token(t) => t.span,
            Item::SmartList(s) => s.span,
            Item::Campaign(c) => c.span,
            Item::Test(t) => t.span,
        }
    }
}

/// A quoted asset or campaign name: compared exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Name {
    /// The decoded string.
    pub text: String,
    /// The literal, quotes included.
    pub span: Span,
}

/// A lower-case identifier: a field, token or event attribute.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Ident {
    /// The identifier.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// `settings { ... }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Settings {
    /// Each setting, in order.
    pub entries: Vec<Setting>,
    /// The `settings` keyword through the closing brace.
    pub span: Span,
    /// The `settings` keyword.
    pub keyword: Span,
}

/// One line of a `settings` block.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Setting {
    /// `time zone "America/New_York"`
    TimeZone(Name),
    /// `communication limits 1 per day, 5 per 7 days`
    CommunicationLimits {
        /// At most this many non-operational emails per calendar day.
        per_day: Option<Spanned<u32>>,
        /// At most this many in the 7 × 24 hours before a send.
        per_week: Option<Spanned<u32>>,
        /// The whole setting.
        span: Span,
    },
    /// `cascade depth 16`
    CascadeDepth(Spanned<u32>),
    /// `from "Acme <news@acme.example>"`: the sender of delivered emails.
    From(Name),
    /// `delivery rate 50 per second`: at most this many messages a second per recipient domain.
    DeliveryRate {
        /// Messages per second.
        rate: Spanned<u32>,
        /// The whole setting.
        span: Span,
    },
}

/// Scalar types of person fields and event attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum FieldType {
    /// `text`
    Text,
    /// `number`
    Number,
    /// `bool`
    Bool,
    /// `date`
    Date,
    /// `datetime`
    DateTime,
}

impl FieldType {
    /// The type's keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Bool => "bool",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
        }
    }
}

/// `name: type`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldDecl {
    /// The field or attribute name.
    pub name: Ident,
    /// Its type.
    pub ty: Spanned<FieldType>,
    /// `name: type` as a whole.
    pub span: Span,
}

/// `schema person { ... }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Schema {
    /// Declared fields.
    pub fields: Vec<FieldDecl>,
    /// The whole block.
    pub span: Span,
}

/// `email "Name" { subject ... body ... operational }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EmailDecl {
    /// The email's name.
    pub name: Name,
    /// `subject "..."`
    pub subject: Option<Template>,
    /// `body "..."`
    pub body: Option<Template>,
    /// `operational` was written.
    pub operational: Option<Span>,
    /// Statements written more than once (`subject` twice...), for the checker to report.
    pub repeated: Vec<Span>,
    /// The whole declaration.
    pub span: Span,
}

/// `webhook "Name" { url "..." method "POST" body "..." }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WebhookDecl {
    /// The webhook's name.
    pub name: Name,
    /// The URL template.
    pub url: Option<Template>,
    /// The HTTP method (default `POST`).
    pub method: Option<Name>,
    /// The request body template.
    pub body: Option<Template>,
    /// Statements written more than once, for the checker to report.
    pub repeated: Vec<Span>,
    /// The whole declaration.
    pub span: Span,
}

/// `event "trial_started" { plan: text, seats: number }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventDecl {
    /// The custom activity type's name.
    pub name: Name,
    /// Its attributes.
    pub attributes: Vec<FieldDecl>,
    /// The whole declaration.
    pub span: Span,
}

/// `program "Name" { statuses "A", "B" }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProgramDecl {
    /// The program's name.
    pub name: Name,
    /// Its statuses in their forward order.
    pub statuses: Vec<Name>,
    /// The whole declaration.
    pub span: Span,
}

/// `token company = "Acme Corp"`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TokenDecl {
    /// The token's name (`{{my.name}}`).
    pub name: Ident,
    /// Its value.
    pub value: Template,
    /// The whole declaration.
    pub span: Span,
}

/// `smart list "Name" { ... }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SmartListDecl {
    /// The smart list's name.
    pub name: Name,
    /// Its body.
    pub body: SmartListBody,
    /// The whole declaration.
    pub span: Span,
}

/// The inside of a `smart list { ... }` block.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct SmartListBody {
    /// `trigger ...` lines, in order.
    pub triggers: Vec<Trigger>,
    /// `filter ...` lines, numbered from 1 in this order.
    pub filters: Vec<Filter>,
    /// `match ...` lines (at most one is allowed; the checker reports the rest).
    pub matches: Vec<Match>,
    /// The block, braces included (the `smart list` keywords for a campaign's block).
    pub span: Span,
}

/// `filter <condition>`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Filter {
    /// The condition.
    pub condition: Condition,
    /// The whole line.
    pub span: Span,
}

/// `match all | any | <logic>`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Match {
    /// What was written.
    pub logic: MatchLogic,
    /// The whole line.
    pub span: Span,
}

/// The argument of `match`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum MatchLogic {
    /// `match all`
    All,
    /// `match any`
    Any,
    /// `match 1 and (2 or 3)`
    Expr(BoolExpr<Spanned<u32>>),
}

/// `and` or `or`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LogicOp {
    /// `and`
    And,
    /// `or`
    Or,
}

/// Boolean logic over atoms: filter numbers in `match`, conditions in `if`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum BoolExpr<T> {
    /// A single atom.
    Atom(T),
    /// `not x`
    Not(Box<BoolExpr<T>>, Span),
    /// `a and b and c`
    And(Vec<BoolExpr<T>>, Span),
    /// `a or b or c`
    Or(Vec<BoolExpr<T>>, Span),
    /// `a and b or c`: operators mixed without parentheses (an error the checker reports).
    Mixed {
        /// The operands.
        items: Vec<BoolExpr<T>>,
        /// The operators between them, with their spans.
        ops: Vec<Spanned<LogicOp>>,
        /// The whole expression.
        span: Span,
    },
    /// `( x )`: kept so spans and formatting survive.
    Group(Box<BoolExpr<T>>, Span),
}

/// A condition: a field test, a membership or a history test; negatable.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Condition {
    /// `not` was written before it.
    pub negated: bool,
    /// What it tests.
    pub kind: ConditionKind,
    /// The whole condition, `not` included.
    pub span: Span,
}

/// What a condition tests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ConditionKind {
    /// `state is "CA"`
    Field(FieldCondition),
    /// `all people`
    AllPeople,
    /// `member of list "X"`
    MemberOfList(Name),
    /// `member of smart list "X"`
    MemberOfSmartList(Name),
    /// `member of program "X"`
    MemberOfProgram(Name),
    /// `program status "P" is "S"`
    ProgramStatus {
        /// The program.
        program: Name,
        /// The status.
        status: Name,
    },
    /// `member of campaign "X"`
    MemberOfCampaign(Name),
    /// An activity-history test (`was sent email`, `visited page`...).
    History(HistoryCondition),
}

/// A test of one field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldCondition {
    /// The field or attribute.
    pub field: Ident,
    /// The operator with its operands.
    pub op: FieldOp,
    /// The operator's span (keywords or symbol).
    pub op_span: Span,
}

/// A field operator with its operands.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum FieldOp {
    /// `is a, b` / `= a`
    Is(Vec<Value>),
    /// `is not a, b` / `!= a`
    IsNot(Vec<Value>),
    /// `starts with a, b`
    StartsWith(Vec<Value>),
    /// `not starts with a, b`
    NotStartsWith(Vec<Value>),
    /// `contains a, b`
    Contains(Vec<Value>),
    /// `not contains a, b`
    NotContains(Vec<Value>),
    /// `is empty`
    IsEmpty,
    /// `is not empty`
    IsNotEmpty,
    /// `greater than n` / `> n`
    Greater(Value),
    /// `less than n` / `< n`
    Less(Value),
    /// `at least n` / `>= n`
    AtLeast(Value),
    /// `at most n` / `<= n`
    AtMost(Value),
    /// `between a and b` (inclusive)
    Between(Value, Value),
    /// `before d`
    Before(Value),
    /// `after d`
    After(Value),
    /// `on or before d`
    OnOrBefore(Value),
    /// `on or after d`
    OnOrAfter(Value),
    /// `in past N unit`
    InPast(Duration),
    /// `in past before N unit`
    InPastBefore(Duration),
    /// `in future N unit`
    InFuture(Duration),
    /// `in future after N unit`
    InFutureAfter(Duration),
}

impl FieldOp {
    /// The operator as a user writes it, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            FieldOp::Is(_) => "is",
            FieldOp::IsNot(_) => "is not",
            FieldOp::StartsWith(_) => "starts with",
            FieldOp::NotStartsWith(_) => "not starts with",
            FieldOp::Contains(_) => "contains",
            FieldOp::NotContains(_) => "not contains",
            FieldOp::IsEmpty => "is empty",
            FieldOp::IsNotEmpty => "is not empty",
            FieldOp::Greater(_) => "greater than",
            FieldOp::Less(_) => "less than",
            FieldOp::AtLeast(_) => "at least",
            FieldOp::AtMost(_) => "at most",
            FieldOp::Between(_, _) => "between",
            FieldOp::Before(_) => "before",
            FieldOp::After(_) => "after",
            FieldOp::OnOrBefore(_) => "on or before",
            FieldOp::OnOrAfter(_) => "on or after",
            FieldOp::InPast(_) => "in past",
            FieldOp::InPastBefore(_) => "in past before",
            FieldOp::InFuture(_) => "in future",
            FieldOp::InFutureAfter(_) => "in future after",
        }
    }
}

/// A literal value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Value {
    /// What was written.
    pub kind: ValueKind,
    /// The literal.
    pub span: Span,
}

/// The kinds of literal.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ValueKind {
    /// A string (possibly holding tokens).
    Text(Template),
    /// A number.
    Number(f64),
    /// `true` / `false`
    Bool(bool),
    /// `2026-12-01`
    Date(NaiveDate),
    /// `2026-12-01 09:00`, `2026-12-01T09:00:00Z`...
    DateTime(DateTimeLit),
}

impl ValueKind {
    /// A short description of the literal's type, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            ValueKind::Text(_) => "text",
            ValueKind::Number(_) => "number",
            ValueKind::Bool(_) => "bool",
            ValueKind::Date(_) => "date",
            ValueKind::DateTime(_) => "datetime",
        }
    }
}

/// A date-time literal: local to the script's time zone unless it carries an offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DateTimeLit {
    /// The wall-clock reading.
    pub local: NaiveDateTime,
    /// `Z` (0) or `+01:00` (3600): seconds east of UTC, when written.
    pub offset_seconds: Option<i32>,
}

/// Units of a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum TimeUnit {
    /// minute(s)
    Minute,
    /// hour(s)
    Hour,
    /// day(s)
    Day,
    /// week(s)
    Week,
    /// month(s): 30 days; only in qualification intervals
    Month,
}

impl TimeUnit {
    /// Length of one unit in seconds (a month is 30 days).
    pub fn seconds(self) -> i64 {
        match self {
            TimeUnit::Minute => 60,
            TimeUnit::Hour => 3_600,
            TimeUnit::Day => 86_400,
            TimeUnit::Week => 7 * 86_400,
            TimeUnit::Month => 30 * 86_400,
        }
    }

    /// The unit's word, singular or plural.
    pub fn word(self, plural: bool) -> &'static str {
        match (self, plural) {
            (TimeUnit::Minute, false) => "minute",
            (TimeUnit::Minute, true) => "minutes",
            (TimeUnit::Hour, false) => "hour",
            (TimeUnit::Hour, true) => "hours",
            (TimeUnit::Day, false) => "day",
            (TimeUnit::Day, true) => "days",
            (TimeUnit::Week, false) => "week",
            (TimeUnit::Week, true) => "weeks",
            (TimeUnit::Month, false) => "month",
            (TimeUnit::Month, true) => "months",
        }
    }
}

/// `N unit`
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Duration {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: TimeUnit,
    /// The whole duration.
    pub span: Span,
}

impl Duration {
    /// Total length in seconds.
    pub fn seconds(&self) -> i64 {
        i64::from(self.amount) * self.unit.seconds()
    }
}

/// An activity-history condition: `<what> [window] [at least|at most|exactly N times]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HistoryCondition {
    /// What happened.
    pub what: Activity,
    /// `in past 30 days`, `since D`...
    pub window: Option<Window>,
    /// `at least N times`, `at most N times`, `exactly N times`
    pub count: Option<HistoryCount>,
}

/// How many activities a history condition asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CountOp {
    /// `at least N times`
    AtLeast,
    /// `at most N times` (zero counts)
    AtMost,
    /// `exactly N times` (zero counts)
    Exactly,
}

impl CountOp {
    /// The words as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CountOp::AtLeast => "at least",
            CountOp::AtMost => "at most",
            CountOp::Exactly => "exactly",
        }
    }
}

/// `at least 2 times`, `at most 1 time`, `exactly 0 times`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HistoryCount {
    /// The comparison.
    pub op: CountOp,
    /// The number.
    pub n: Spanned<u32>,
    /// The whole clause.
    pub span: Span,
}

/// The time window of a history condition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Window {
    /// `in past N unit`
    InPast(Duration),
    /// `since D`
    Since(Value),
    /// `before D`
    Before(Value),
    /// `between D and D`
    Between(Value, Value, Span),
}

/// Constraint on a link: `link contains "x"` or `link is "x"`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkConstraint {
    /// `contains` (true) or `is` (false).
    pub contains: bool,
    /// The text.
    pub text: Value,
    /// The whole constraint.
    pub span: Span,
}

/// An activity, as matched by history conditions and by triggers.
///
/// Both share this shape: `visited page "P"` and `trigger visits page "P"` are the same
/// activity with the same constraints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Activity {
    /// `was sent email "E"` / (no trigger form)
    EmailSent {
        /// The email, or any.
        email: Option<Name>,
    },
    /// `opened email "E"` / `trigger opens email "E"`
    EmailOpened {
        /// The email, or any.
        email: Option<Name>,
    },
    /// `clicked link in email "E" link contains "x"`
    EmailClicked {
        /// The email, or any.
        email: Option<Name>,
        /// The link constraint.
        link: Option<LinkConstraint>,
    },
    /// `was delivered email "E"` / `trigger email is delivered "E"`
    EmailDelivered {
        /// The email, or any.
        email: Option<Name>,
    },
    /// `email bounced "E"` / `trigger email bounces "E"`
    EmailBounced {
        /// The email, or any.
        email: Option<Name>,
    },
    /// `unsubscribed from email` / `trigger unsubscribes from email`
    Unsubscribed {
        /// The email, or any.
        email: Option<Name>,
    },
    /// `filled out form "F" on page "P"`
    FormFilled {
        /// The form, or any.
        form: Option<Name>,
        /// `on page "P"`
        page: Option<Name>,
    },
    /// `visited page "P"`
    PageVisited {
        /// The page, or any.
        page: Option<Name>,
    },
    /// `was added to list "L"`
    AddedToList {
        /// The list, or any.
        list: Option<Name>,
    },
    /// `was removed from list "L"`
    RemovedFromList {
        /// The list, or any.
        list: Option<Name>,
    },
    /// `data value changed F to V from W`
    DataValueChanged {
        /// The field.
        field: Ident,
        /// `to V`: the new value.
        to: Option<Value>,
        /// `from W`: the old value.
        from: Option<Value>,
    },
    /// `score was changed`
    ScoreChanged,
    /// `person was created`
    PersonCreated,
    /// `program status changes "P" to "S"` (trigger) / no filter form
    ProgramStatusChanged {
        /// The program, or any.
        program: Option<Name>,
        /// `to "S"`
        to: Option<Name>,
        /// `from "S"`
        from: Option<Name>,
    },
    /// `campaign was requested "C"` / `trigger campaign is requested`
    CampaignRequested {
        /// The requested campaign (filters only).
        campaign: Option<Name>,
    },
    /// `had event "E" where ...` / `trigger event "E" where ...`
    CustomEvent {
        /// The declared event.
        event: Name,
        /// `where` conditions over its attributes, joined with `and`.
        conditions: Vec<FieldCondition>,
    },
}

impl Activity {
    /// The activity's name in messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Activity::EmailSent { .. } => "was sent email",
            Activity::EmailOpened { .. } => "opened email",
            Activity::EmailClicked { .. } => "clicked link in email",
            Activity::EmailDelivered { .. } => "email delivered",
            Activity::EmailBounced { .. } => "email bounced",
            Activity::Unsubscribed { .. } => "unsubscribed from email",
            Activity::FormFilled { .. } => "filled out form",
            Activity::PageVisited { .. } => "visited page",
            Activity::AddedToList { .. } => "added to list",
            Activity::RemovedFromList { .. } => "removed from list",
            Activity::DataValueChanged { .. } => "data value changed",
            Activity::ScoreChanged => "score was changed",
            Activity::PersonCreated => "person was created",
            Activity::ProgramStatusChanged { .. } => "program status changed",
            Activity::CampaignRequested { .. } => "campaign was requested",
            Activity::CustomEvent { .. } => "custom event",
        }
    }
}

/// `trigger <activity>`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trigger {
    /// The activity that fires it, with its constraints.
    pub activity: Activity,
    /// The whole line.
    pub span: Span,
}

/// `(batch|trigger|executable)? campaign "Name" { ... }`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Campaign {
    /// The kind keyword, if one was written.
    pub declared_kind: Option<Spanned<CampaignKind>>,
    /// The campaign's name.
    pub name: Name,
    /// Its statements, in source order.
    pub statements: Vec<CampaignStatement>,
    /// From the kind keyword (or `campaign`) to the name: the header.
    pub header: Span,
    /// The whole campaign.
    pub span: Span,
}

/// The three kinds of campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum CampaignKind {
    /// Runs on a schedule or on demand, over everyone who qualifies.
    Batch,
    /// Reacts to one person's activity.
    Trigger,
    /// Run only by `execute campaign`, inside the caller's flow.
    Executable,
}

impl CampaignKind {
    /// The kind's keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignKind::Batch => "batch",
            CampaignKind::Trigger => "trigger",
            CampaignKind::Executable => "executable",
        }
    }
}

/// One statement of a campaign.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum CampaignStatement {
    /// `description "..."`
    Description(Template, Span),
    /// `in program "P"`
    InProgram(Name, Span),
    /// `smart list { ... }`
    SmartList(SmartListBody),
    /// `flow { ... }`
    Flow(Block),
    /// `run ...`
    Run(Schedule),
    /// `active` (true) or `inactive` (false)
    Activation(bool, Span),
    /// `qualify ...`
    Qualify(QualifyRule, Span),
    /// `block non-operational emails`
    BlockNonOperational(Span),
    /// `max people N`
    MaxPeople(Spanned<u64>, Span),
}

impl CampaignStatement {
    /// The statement's span.
    pub fn span(&self) -> Span {
        match self {
            CampaignStatement::Description(_, s)
            | CampaignStatement::InProgram(_, s)
            | CampaignStatement::Activation(_, s)
            | CampaignStatement::Qualify(_, s)
            | CampaignStatement::BlockNonOperational(s)
            | CampaignStatement::MaxPeople(_, s) => *s,
            CampaignStatement::SmartList(b) => b.span,
            CampaignStatement::Flow(b) => b.span,
            CampaignStatement::Run(r) => r.span,
        }
    }

    /// The statement's leading words, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            CampaignStatement::Description(..) => "description",
            CampaignStatement::InProgram(..) => "in program",
            CampaignStatement::SmartList(_) => "smart list",
            CampaignStatement::Flow(_) => "flow",
            CampaignStatement::Run(_) => "run",
            CampaignStatement::Activation(true, _) => "active",
            CampaignStatement::Activation(false, _) => "inactive",
            CampaignStatement::Qualify(..) => "qualify",
            CampaignStatement::BlockNonOperational(_) => "block non-operational emails",
            CampaignStatement::MaxPeople(..) => "max people",
        }
    }
}

/// `qualify ...`
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum QualifyRule {
    /// `qualify once` (the default)
    Once,
    /// `qualify every time`
    EveryTime,
    /// `qualify once every N unit`
    OnceEvery(Duration),
}

/// `run at ...` or `run every ...`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Schedule {
    /// Once or recurring.
    pub kind: ScheduleKind,
    /// The whole statement.
    pub span: Span,
}

/// The two shapes of schedule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ScheduleKind {
    /// `run at 2026-12-01 09:00`
    Once(Value),
    /// `run every ...`
    Every(Recurrence),
}

/// Recurrence units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RecurUnit {
    /// day(s)
    Day,
    /// week(s)
    Week,
    /// month(s)
    Month,
}

/// `run every [N] unit [on ...] at T [from D] [until D]`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recurrence {
    /// Every this many units (1 when omitted).
    pub interval: Spanned<u32>,
    /// The unit.
    pub unit: Spanned<RecurUnit>,
    /// `on ...`
    pub on: Option<Spanned<RecurOn>>,
    /// `at 09:00`
    pub at: Spanned<NaiveTime>,
    /// `from D`
    pub from: Option<Value>,
    /// `until D`
    pub until: Option<Value>,
}

/// The day selector of a recurrence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum RecurOn {
    /// `on weekdays`
    Weekdays,
    /// `on mon, thu`
    Days(Vec<Spanned<chrono::Weekday>>),
    /// `on day 15`
    DayOfMonth(u32),
    /// `on 2nd tue` (1..=4) or `on last fri` (0 means last)
    NthWeekday(u32, chrono::Weekday),
}

/// A block of flow steps.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct Block {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The block, braces included (`flow` keyword included for a campaign's flow).
    pub span: Span,
}

/// One flow step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// What it does.
    pub kind: StepKind,
    /// The whole step.
    pub span: Span,
}

/// Target of `change F to ...`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ChangeValue {
    /// `to V`
    To(Value),
    /// `to empty`
    Empty(Span),
    /// `by N` (may be negative)
    By(Value),
}

/// Wait forms.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum WaitKind {
    /// `wait 3 days [on weekdays|on mon, tue] [at 09:00]`
    For {
        /// How long.
        duration: Duration,
        /// Allowed days.
        on: Option<Spanned<RecurOn>>,
        /// Resume time of day.
        at: Option<Spanned<NaiveTime>>,
    },
    /// `wait until 2026-12-24 09:00`
    Until(Value),
    /// `wait until renewal_at minus 30 days [at 09:00]`
    UntilField {
        /// The person's date or datetime field.
        field: Ident,
        /// `minus D` (negative) or `plus D`.
        offset: Option<(bool, Duration)>,
        /// Resume time of day for a date field.
        at: Option<Spanned<NaiveTime>>,
    },
    /// `wait until next birthday [at 09:00]`
    NextAnniversary {
        /// The person's date field.
        field: Ident,
        /// Resume time of day.
        at: Option<Spanned<NaiveTime>>,
    },
}

/// What a flow step does.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum StepKind {
    /// `send email "E"`
    SendEmail(Name),
    /// `send alert "E" to "a", "b"`
    SendAlert {
        /// The email used as the alert's template.
        email: Name,
        /// Recipient addresses (templates).
        to: Vec<Template>,
    },
    /// `change F to V` / `change F to empty` / `change F by N`
    ChangeField {
        /// The field.
        field: Ident,
        /// The new value or delta.
        value: ChangeValue,
    },
    /// `change program status "P" to "S"`
    ChangeProgramStatus {
        /// The program.
        program: Name,
        /// The new status.
        status: Name,
    },
    /// `add to list "L"`
    AddToList(Name),
    /// `remove from list "L"`
    RemoveFromList(Name),
    /// `wait ...`
    Wait(WaitKind),
    /// `request campaign "C"`
    RequestCampaign(Name),
    /// `execute campaign "C"`
    ExecuteCampaign(Name),
    /// `remove from flow` (this campaign) or `remove from flow "A", "B"`
    RemoveFromFlow(Vec<Name>),
    /// `call webhook "W"`
    CallWebhook(Name),
    /// `interesting moment "..."`
    InterestingMoment(Template),
    /// `delete person`
    DeletePerson,
    /// `if c { } else if c { } else { }`
    If {
        /// Each `if`/`else if` condition with its block.
        branches: Vec<(BoolExpr<Condition>, Block)>,
        /// The `else` block.
        otherwise: Option<Block>,
    },
}

impl StepKind {
    /// The step's leading words, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            StepKind::SendEmail(_) => "send email",
            StepKind::SendAlert { .. } => "send alert",
            StepKind::ChangeField { .. } => "change",
            StepKind::ChangeProgramStatus { .. } => "change program status",
            StepKind::AddToList(_) => "add to list",
            StepKind::RemoveFromList(_) => "remove from list",
            StepKind::Wait(_) => "wait",
            StepKind::RequestCampaign(_) => "request campaign",
            StepKind::ExecuteCampaign(_) => "execute campaign",
            StepKind::RemoveFromFlow(_) => "remove from flow",
            StepKind::CallWebhook(_) => "call webhook",
            StepKind::InterestingMoment(_) => "interesting moment",
            StepKind::DeletePerson => "delete person",
            StepKind::If { .. } => "if",
        }
    }
}

/// A string literal, split into text and `{{...}}` tokens.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Template {
    /// Text and tokens in order (adjacent text is merged).
    pub parts: Vec<TemplatePart>,
    /// The literal, quotes included.
    pub span: Span,
}

impl Template {
    /// The tokens in this template.
    pub fn tokens(&self) -> impl Iterator<Item = &TokenRef> {
        self.parts.iter().filter_map(|p| match p {
            TemplatePart::Token(t) => Some(t),
            TemplatePart::Text(_) => None,
        })
    }

    /// True when the template holds at least one token.
    pub fn has_tokens(&self) -> bool {
        self.tokens().next().is_some()
    }

    /// The literal text, when the template holds no tokens.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                TemplatePart::Text(t) => out.push_str(t),
                TemplatePart::Token(_) => return None,
            }
        }
        Some(out)
    }

    /// The text with each token written back as `{{...}}`.
    pub fn source_text(&self) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                TemplatePart::Text(t) => out.push_str(t),
                TemplatePart::Token(t) => out.push_str(&t.to_string()),
            }
        }
        out
    }
}

/// A piece of a template.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TemplatePart {
    /// Literal text (escapes decoded).
    Text(String),
    /// `{{ns.name:default=x}}`
    Token(TokenRef),
}

/// `{{namespace.name[:raw][:default=text]}}`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TokenRef {
    /// `person`, `my`, `campaign`, `program`, `system` or `trigger` (others are reported by
    /// the checker).
    pub namespace: Ident,
    /// The name after the dot.
    pub name: Ident,
    /// `:raw` was written.
    pub raw: bool,
    /// `:default=...`
    pub default: Option<String>,
    /// The whole token, braces included.
    pub span: Span,
}

impl std::fmt::Display for TokenRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{{{{{}.{}", self.namespace.name, self.name.name)?;
        if self.raw {
            write!(f, ":raw")?;
        }
        if let Some(d) = &self.default {
            write!(f, ":default={d}")?;
        }
        write!(f, "}}}}")
    }
}

/// `test "Name" { ... }`: a little script run in a fresh in-memory store (LANGUAGE.md 11).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestDecl {
    /// The test's name.
    pub name: Name,
    /// Its statements, in order.
    pub statements: Vec<TestStatement>,
    /// The whole test.
    pub span: Span,
}

/// One statement of a test.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestStatement {
    /// What it does.
    pub kind: TestStatementKind,
    /// The whole statement.
    pub span: Span,
}

/// `FIELD VALUE` inside `{ ... }` of a test's person or event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldValue {
    /// The field or attribute.
    pub field: Ident,
    /// Its literal value.
    pub value: Value,
}

/// The statements of a test.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TestStatementKind {
    /// `from T`: the store's clock starts here.
    From(Value),
    /// `person "EMAIL" { FIELD VALUE, ... }`
    Person {
        /// The person's email.
        email: Name,
        /// Field values.
        fields: Vec<FieldValue>,
    },
    /// `people "CSV"`
    People(Name),
    /// `events "JSONL"`
    Events(Name),
    /// `at T "EMAIL" <event>`
    At {
        /// When.
        at: Value,
        /// Who.
        person: Name,
        /// What happens.
        event: TestEvent,
    },
    /// `run "CAMPAIGN" [at T]`
    Run {
        /// The batch campaign.
        campaign: Name,
        /// When (the clock when left out).
        at: Option<Value>,
    },
    /// `until T`
    Until(Value),
    /// `expect ...`
    Expect(Expectation),
}

/// An event of an `at` statement, written like its trigger in the present tense.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TestEvent {
    /// `fills out form F [on page P] [{ FIELD VALUE, ... }]`
    FillsOutForm {
        /// The form.
        form: Name,
        /// `on page P`
        page: Option<Name>,
        /// The form's field values.
        fields: Vec<FieldValue>,
    },
    /// `visits page P`
    VisitsPage(Name),
    /// `clicks link "URL" in email E`
    ClicksLink {
        /// The link clicked.
        link: Name,
        /// The email.
        email: Name,
    },
    /// `opens email E`
    OpensEmail(Name),
    /// `email is delivered E`
    EmailDelivered(Name),
    /// `email bounces E`
    EmailBounces(Name),
    /// `unsubscribes from email [E]`
    Unsubscribes(Option<Name>),
    /// `data value changes { FIELD VALUE, ... }`
    DataValueChanges(Vec<FieldValue>),
    /// `has event "NAME" [{ ATTR VALUE, ... }]`
    HasEvent {
        /// The declared event.
        event: Name,
        /// Attribute values.
        attributes: Vec<FieldValue>,
    },
    /// `requests campaign C`
    RequestsCampaign(Name),
}

impl TestEvent {
    /// The event's words, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            TestEvent::FillsOutForm { .. } => "fills out form",
            TestEvent::VisitsPage(_) => "visits page",
            TestEvent::ClicksLink { .. } => "clicks link",
            TestEvent::OpensEmail(_) => "opens email",
            TestEvent::EmailDelivered(_) => "email is delivered",
            TestEvent::EmailBounces(_) => "email bounces",
            TestEvent::Unsubscribes(_) => "unsubscribes from email",
            TestEvent::DataValueChanges(_) => "data value changes",
            TestEvent::HasEvent { .. } => "has event",
            TestEvent::RequestsCampaign(_) => "requests campaign",
        }
    }
}

/// How a count expectation was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CountWord {
    /// `N people`
    People,
    /// `N person`
    Person,
    /// `no one`
    NoOne,
}

/// `subject` or `body` of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum MessagePart {
    /// `subject`
    Subject,
    /// `body`
    Body,
}

impl MessagePart {
    /// The word.
    pub fn as_str(self) -> &'static str {
        match self {
            MessagePart::Subject => "subject",
            MessagePart::Body => "body",
        }
    }
}

/// `subject is "..."`, `body contains "..."`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageCondition {
    /// Which text.
    pub part: Spanned<MessagePart>,
    /// The text operator with its operands.
    pub op: FieldOp,
    /// The operator's span.
    pub op_span: Span,
    /// The whole condition.
    pub span: Span,
}

/// The four forms of `expect`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Expectation {
    /// `expect "EMAIL" CONDITION`
    Person {
        /// Who.
        person: Name,
        /// What must hold for them.
        condition: BoolExpr<Condition>,
    },
    /// `expect N people CONDITION`, `expect no one CONDITION`, `expect 1 person CONDITION`
    Count {
        /// How many people must match.
        count: Spanned<u32>,
        /// How it was written.
        word: CountWord,
        /// The condition.
        condition: BoolExpr<Condition>,
    },
    /// `expect email "E" to "EMAIL" [subject ... and body ...]`
    Email {
        /// The email asset.
        email: Name,
        /// The recipient.
        to: Name,
        /// Text conditions on the last such message.
        conditions: Vec<MessageCondition>,
    },
    /// `expect "EMAIL" [not] waiting in "CAMPAIGN"`
    Waiting {
        /// Who.
        person: Name,
        /// `not` was written.
        negated: bool,
        /// The campaign.
        campaign: Name,
    },
}
