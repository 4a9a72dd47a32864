//! The checked program: every name resolved, every value typed, every campaign's kind known.
//!
//! This is the boundary between the checker and the engine: the engine consumes only these
//! types, never the AST. References are indices into the [`Program`]'s tables (`ListId(3)` is
//! `program.lists[3]`); the names they stand for are what the store persists, so that a script
//! can be edited between runs.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

pub use crate::syntax::ast::{CampaignKind, FieldType, Span, Template, TimeUnit};

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub struct $name(pub u32);

        impl $name {
            /// The index into the program's table.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

id_type!(
    /// A person field: `program.fields[i]`.
    FieldId,
    /// A static list: `program.lists[i]`.
    ListId,
    /// An email: `program.emails[i]`.
    EmailId,
    /// A form: `program.forms[i]`.
    FormId,
    /// A web page: `program.pages[i]`.
    PageId,
    /// A webhook: `program.webhooks[i]`.
    WebhookId,
    /// A custom event type: `program.events[i]`.
    EventId,
    /// A program: `program.programs[i]`.
    ProgramId,
    /// A smart list: `program.smart_lists[i]`.
    SmartListId,
    /// A campaign: `program.campaigns[i]`.
    CampaignId,
);

/// A whole checked workspace.
#[derive(Clone, Debug, Serialize)]
pub struct Program {
    /// Workspace settings (defaults filled in).
    pub settings: Settings,
    /// Person fields: the built-in ones first, in [`BUILTIN_FIELDS`] order, then the schema's.
    pub fields: Vec<Field>,
    /// Static lists.
    pub lists: Vec<Asset>,
    /// Emails.
    pub emails: Vec<Email>,
    /// Forms.
    pub forms: Vec<Asset>,
    /// Web pages.
    pub pages: Vec<Asset>,
    /// Webhooks.
    pub webhooks: Vec<Webhook>,
    /// Custom event types.
    pub events: Vec<Event>,
    /// Programs with their statuses.
    pub programs: Vec<ProgramDef>,
    /// `my.*` tokens.
    pub tokens: Vec<TokenDef>,
    /// Top-level smart lists.
    pub smart_lists: Vec<SmartList>,
    /// Campaigns, in declaration order (files in the order given, then source order).
    pub campaigns: Vec<Campaign>,
    /// Tests, in declaration order.
    pub tests: Vec<Test>,
}

/// The built-in person fields: name, type, read-only.
pub const BUILTIN_FIELDS: [(&str, FieldType, bool); 8] = [
    ("id", FieldType::Number, true),
    ("email", FieldType::Text, false),
    ("score", FieldType::Number, false),
    ("created_at", FieldType::DateTime, true),
    ("updated_at", FieldType::DateTime, true),
    ("unsubscribed", FieldType::Bool, false),
    ("marketing_suspended", FieldType::Bool, false),
    ("email_invalid", FieldType::Bool, false),
];

/// Workspace settings.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    /// The script's time zone (default UTC).
    #[serde(serialize_with = "serialize_tz")]
    pub time_zone: Tz,
    /// Non-operational emails allowed per calendar day.
    pub per_day: Option<u32>,
    /// Non-operational emails allowed in any 7 × 24 hours.
    pub per_week: Option<u32>,
    /// Depth at which cascades stop (default 16).
    pub cascade_depth: u32,
    /// The sender of delivered emails (`from "Name <addr>"`), as written.
    pub from: Option<String>,
    /// At most this many delivered messages a second per recipient domain (None: no limit).
    pub delivery_rate: Option<u32>,
}

fn serialize_tz<S: serde::Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            time_zone: chrono_tz::UTC,
            per_day: None,
            per_week: None,
            cascade_depth: 16,
            from: None,
            delivery_rate: None,
        }
    }
}

/// A person field.
#[derive(Clone, Debug, Serialize)]
pub struct Field {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: FieldType,
    /// One of [`BUILTIN_FIELDS`].
    pub builtin: bool,
    /// `id`, `created_at`, `updated_at`.
    pub read_only: bool,
}

/// An asset that is only a name (list, form, page).
#[derive(Clone, Debug, Serialize)]
pub struct Asset {
    /// Its name.
    pub name: String,
    /// Its declaration.
    pub span: Span,
}

/// An email.
#[derive(Clone, Debug, Serialize)]
pub struct Email {
    /// Its name.
    pub name: String,
    /// Subject template (the name when none was written).
    pub subject: Template,
    /// Body template (empty when none was written).
    pub body: Template,
    /// Operational emails ignore unsubscription, suspension and limits.
    pub operational: bool,
    /// Its declaration.
    pub span: Span,
}

/// A webhook.
#[derive(Clone, Debug, Serialize)]
pub struct Webhook {
    /// Its name.
    pub name: String,
    /// URL template.
    pub url: Template,
    /// HTTP method, upper case (default `POST`).
    pub method: String,
    /// Request body template, if any.
    pub body: Option<Template>,
    /// Its declaration.
    pub span: Span,
}

/// A custom event type.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// Its name.
    pub name: String,
    /// Its attributes and their types.
    pub attributes: Vec<(String, FieldType)>,
    /// Its declaration.
    pub span: Span,
}

/// A program.
#[derive(Clone, Debug, Serialize)]
pub struct ProgramDef {
    /// Its name.
    pub name: String,
    /// Statuses in forward order.
    pub statuses: Vec<String>,
    /// Its declaration.
    pub span: Span,
}

/// A `my.*` token.
#[derive(Clone, Debug, Serialize)]
pub struct TokenDef {
    /// Its name.
    pub name: String,
    /// Its value (may itself hold tokens).
    pub value: Template,
}

/// A top-level smart list.
#[derive(Clone, Debug, Serialize)]
pub struct SmartList {
    /// Its name.
    pub name: String,
    /// Its filters and their logic.
    pub filters: Filters,
    /// Its declaration.
    pub span: Span,
}

/// Numbered filters with their `match` logic.
#[derive(Clone, Debug, Serialize, Default)]
pub struct Filters {
    /// Filter `i + 1` is `conditions[i]`.
    pub conditions: Vec<Cond>,
    /// How they combine.
    pub logic: Logic,
}

/// `match all | any | <expr>`.
#[derive(Clone, Debug, Serialize, Default)]
pub enum Logic {
    /// Every filter must hold (also when there are none).
    #[default]
    All,
    /// At least one filter must hold (true when there are none).
    Any,
    /// A boolean expression over filter indices (0-based).
    Expr(LogicExpr),
}

/// Boolean logic over filter indices (0-based).
#[derive(Clone, Debug, Serialize)]
pub enum LogicExpr {
    /// Filter number `i + 1`.
    Filter(usize),
    /// Negation.
    Not(Box<LogicExpr>),
    /// Conjunction.
    And(Vec<LogicExpr>),
    /// Disjunction.
    Or(Vec<LogicExpr>),
}

/// A typed literal.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Scalar {
    /// Text.
    Text(String),
    /// Number.
    Number(f64),
    /// Boolean.
    Bool(bool),
    /// A calendar date (on a datetime field: that whole day in the script's time zone).
    Date(NaiveDate),
    /// An instant.
    DateTime(DateTime<Utc>),
}

/// A condition, resolved and typed.
#[derive(Clone, Debug, Serialize)]
pub enum Cond {
    /// A test of one person field.
    Field {
        /// The field.
        field: FieldId,
        /// The test.
        test: FieldTest,
    },
    /// `all people`
    AllPeople,
    /// `member of list`
    MemberOfList(ListId),
    /// `member of smart list`
    MemberOfSmartList(SmartListId),
    /// `member of program`
    MemberOfProgram(ProgramId),
    /// `program status "P" is "S"` (status index into the program's statuses)
    ProgramStatus(ProgramId, usize),
    /// `member of campaign`
    MemberOfCampaign(CampaignId),
    /// An activity-history test.
    History(History),
    /// `not c`
    Not(Box<Cond>),
    /// `a and b`
    And(Vec<Cond>),
    /// `a or b`
    Or(Vec<Cond>),
}

/// A field test. Values are typed for the field (see LANGUAGE.md 4.1 for the quirks).
#[derive(Clone, Debug, Serialize)]
pub enum FieldTest {
    /// `is a, b` (text: case-insensitive; number `is 0` also matches empty)
    Is(Vec<Scalar>),
    /// `is not a, b` (matches empty)
    IsNot(Vec<Scalar>),
    /// `starts with` (case-insensitive)
    StartsWith(Vec<String>),
    /// `not starts with` (matches empty)
    NotStartsWith(Vec<String>),
    /// `contains` (case-insensitive)
    Contains(Vec<String>),
    /// `not contains` (matches empty)
    NotContains(Vec<String>),
    /// `is empty`
    IsEmpty,
    /// `is not empty`
    IsNotEmpty,
    /// `greater than` / `after`
    Greater(Scalar),
    /// `less than` / `before` (dates: also matches empty)
    Less(Scalar),
    /// `at least` / `on or after`
    AtLeast(Scalar),
    /// `at most` / `on or before` (dates: also matches empty)
    AtMost(Scalar),
    /// `between a and b`, inclusive
    Between(Scalar, Scalar),
    /// `in past N`: from now − N up to now
    InPast(i64),
    /// `in past before N`: before now − N (also matches empty)
    InPastBefore(i64),
    /// `in future N`: from now up to now + N
    InFuture(i64),
    /// `in future after N`: after now + N
    InFutureAfter(i64),
}

/// A history condition: `what [window] [at least|at most|exactly N times]`.
#[derive(Clone, Debug, Serialize)]
pub struct History {
    /// Which activities count.
    pub what: ActivityMatch,
    /// Only activities in this window count.
    pub window: Option<HistoryWindow>,
    /// How many are needed (at least 1 when not written).
    pub count: Count,
}

/// How many matching activities a history condition asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Count {
    /// At least N (`at least 0` reads as 1, like no count at all).
    AtLeast(u32),
    /// At most N, zero included.
    AtMost(u32),
    /// Exactly N, zero included.
    Exactly(u32),
}

impl Count {
    /// Whether `n` matching activities satisfy the count.
    pub fn holds(self, n: u32) -> bool {
        match self {
            Count::AtLeast(k) => n >= k.max(1),
            Count::AtMost(k) => n <= k,
            Count::Exactly(k) => n == k,
        }
    }

    /// Counting beyond this many activities never changes the verdict.
    pub fn enough(self) -> u32 {
        match self {
            Count::AtLeast(k) => k.max(1),
            Count::AtMost(k) | Count::Exactly(k) => k.saturating_add(1),
        }
    }
}

/// The window of a history condition.
#[derive(Clone, Debug, Serialize)]
pub enum HistoryWindow {
    /// The last N seconds up to now.
    InPast(i64),
    /// At or after the instant (a date: its start in the script's time zone).
    Since(DateTime<Utc>),
    /// Before the instant.
    Before(DateTime<Utc>),
    /// Between the two instants, inclusive (a date as `until`: the end of that day).
    Between(DateTime<Utc>, DateTime<Utc>),
}

/// Activity types of the log (LANGUAGE.md 10.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ActivityType {
    /// `new_person`
    NewPerson,
    /// `fill_out_form`
    FillOutForm,
    /// `visit_page`
    VisitPage,
    /// `click_email`
    ClickEmail,
    /// `open_email`
    OpenEmail,
    /// `email_delivered`
    EmailDelivered,
    /// `email_bounced`
    EmailBounced,
    /// `unsubscribe_email`
    UnsubscribeEmail,
    /// `custom_event`
    CustomEvent,
    /// `request_campaign`
    RequestCampaign,
    /// `enter_flow`
    EnterFlow,
    /// `send_email`
    SendEmail,
    /// `send_alert`
    SendAlert,
    /// `change_data_value`
    ChangeDataValue,
    /// `change_score`
    ChangeScore,
    /// `add_to_list`
    AddToList,
    /// `remove_from_list`
    RemoveFromList,
    /// `change_program_status`
    ChangeProgramStatus,
    /// `wait`
    Wait,
    /// `wake`
    Wake,
    /// `execute_campaign`
    ExecuteCampaign,
    /// `remove_from_flow`
    RemoveFromFlow,
    /// `call_webhook`
    CallWebhook,
    /// `webhook_called`: a webhook request delivered, with the response `status`.
    WebhookCalled,
    /// `interesting_moment`
    InterestingMoment,
    /// `delete_person`
    DeletePerson,
    /// `leave_flow`
    LeaveFlow,
    /// `cascade_limit`
    CascadeLimit,
}

impl ActivityType {
    /// Every activity type.
    pub const ALL: [ActivityType; 28] = [
        ActivityType::NewPerson,
        ActivityType::FillOutForm,
        ActivityType::VisitPage,
        ActivityType::ClickEmail,
        ActivityType::OpenEmail,
        ActivityType::EmailDelivered,
        ActivityType::EmailBounced,
        ActivityType::UnsubscribeEmail,
        ActivityType::CustomEvent,
        ActivityType::RequestCampaign,
        ActivityType::EnterFlow,
        ActivityType::SendEmail,
        ActivityType::SendAlert,
        ActivityType::ChangeDataValue,
        ActivityType::ChangeScore,
        ActivityType::AddToList,
        ActivityType::RemoveFromList,
        ActivityType::ChangeProgramStatus,
        ActivityType::Wait,
        ActivityType::Wake,
        ActivityType::ExecuteCampaign,
        ActivityType::RemoveFromFlow,
        ActivityType::CallWebhook,
        ActivityType::WebhookCalled,
        ActivityType::InterestingMoment,
        ActivityType::DeletePerson,
        ActivityType::LeaveFlow,
        ActivityType::CascadeLimit,
    ];

    /// The type's name in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityType::NewPerson => "new_person",
            ActivityType::FillOutForm => "fill_out_form",
            ActivityType::VisitPage => "visit_page",
            ActivityType::ClickEmail => "click_email",
            ActivityType::OpenEmail => "open_email",
            ActivityType::EmailDelivered => "email_delivered",
            ActivityType::EmailBounced => "email_bounced",
            ActivityType::UnsubscribeEmail => "unsubscribe_email",
            ActivityType::CustomEvent => "custom_event",
            ActivityType::RequestCampaign => "request_campaign",
            ActivityType::EnterFlow => "enter_flow",
            ActivityType::SendEmail => "send_email",
            ActivityType::SendAlert => "send_alert",
            ActivityType::ChangeDataValue => "change_data_value",
            ActivityType::ChangeScore => "change_score",
            ActivityType::AddToList => "add_to_list",
            ActivityType::RemoveFromList => "remove_from_list",
            ActivityType::ChangeProgramStatus => "change_program_status",
            ActivityType::Wait => "wait",
            ActivityType::Wake => "wake",
            ActivityType::ExecuteCampaign => "execute_campaign",
            ActivityType::RemoveFromFlow => "remove_from_flow",
            ActivityType::CallWebhook => "call_webhook",
            ActivityType::WebhookCalled => "webhook_called",
            ActivityType::InterestingMoment => "interesting_moment",
            ActivityType::DeletePerson => "delete_person",
            ActivityType::LeaveFlow => "leave_flow",
            ActivityType::CascadeLimit => "cascade_limit",
        }
    }

    /// The type named `s` in the log.
    pub fn parse(s: &str) -> Option<ActivityType> {
        ActivityType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Which activities a trigger or history condition matches.
///
/// An activity is `(type, primary, attributes)`; `asset` constrains the primary value (an
/// asset, field, program or campaign name), `constraints` the attributes.
#[derive(Clone, Debug, Serialize)]
pub struct ActivityMatch {
    /// The activity type. `data value changes score` matches `change_score` as well.
    pub activity: ActivityType,
    /// The primary value it must have (`None`: any).
    pub asset: Option<String>,
    /// Further constraints on the activity's attributes.
    pub constraints: Vec<Constraint>,
    /// Where it was written.
    pub span: Span,
}

/// A constraint on an activity's attributes.
#[derive(Clone, Debug, Serialize)]
pub enum Constraint {
    /// `link contains "x"` (case-insensitive) on `click_email`'s `link`.
    LinkContains(String),
    /// `link is "x"` (case-insensitive) on `click_email`'s `link`.
    LinkIs(String),
    /// `on page "P"` on `fill_out_form`'s `page`.
    OnPage(String),
    /// `to V` on a data value change's `new` (typed for the field; `None`: changed to empty).
    NewValue(Option<Scalar>),
    /// `from V` on a data value change's `old`.
    OldValue(Option<Scalar>),
    /// `to "S"` on `change_program_status`'s `to`.
    StatusTo(String),
    /// `from "S"` on `change_program_status`'s `from`.
    StatusFrom(String),
    /// A `where` test on a custom event attribute.
    Attribute {
        /// The attribute's name.
        name: String,
        /// Its declared type.
        ty: FieldType,
        /// The test.
        test: FieldTest,
    },
}

/// `qualify ...`
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Qualify {
    /// Once ever (the default).
    Once,
    /// Every time.
    EveryTime,
    /// Once per this many seconds, counted from the last entry.
    OnceEvery(i64),
}

/// A batch campaign's schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ScheduleRule {
    /// `run at T`
    Once(DateTime<Utc>),
    /// `run every ...`
    Every(RecurrenceRule),
}

/// `run every N unit [on ...] at T from D [until D]`, in the script's time zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecurrenceRule {
    /// Every this many units.
    pub interval: u32,
    /// Days, weeks or months.
    pub unit: RecurUnit,
    /// Which days.
    pub on: RecurDays,
    /// Local time of day.
    pub at: NaiveTime,
    /// Local start (a date: its midnight).
    pub from: NaiveDateTime,
    /// Local end, inclusive (a date: the end of that day).
    pub until: Option<NaiveDateTime>,
    /// The time zone the local readings are in.
    #[serde(serialize_with = "serialize_tz")]
    pub tz: Tz,
}

pub use crate::syntax::ast::RecurUnit;

/// The day selector of a recurrence.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum RecurDays {
    /// No `on`: every unit (weeks: from's weekday; months: from's day of month).
    Any,
    /// `on weekdays` (daily only).
    Weekdays,
    /// `on mon, thu` (weekly only).
    Days(Vec<Weekday>),
    /// `on day 15` (monthly only; clamped to the month's last day).
    DayOfMonth(u32),
    /// `on 2nd tue` (1..=4), `on last fri` (0).
    NthWeekday(u32, Weekday),
}

/// A campaign.
#[derive(Clone, Debug, Serialize)]
pub struct Campaign {
    /// Its name.
    pub name: String,
    /// Batch, trigger or executable.
    pub kind: CampaignKind,
    /// `description`, if any.
    pub description: Option<Template>,
    /// `in program`, if any.
    pub program: Option<ProgramId>,
    /// Triggers (any of them fires the campaign).
    pub triggers: Vec<ActivityMatch>,
    /// Filters and their logic.
    pub filters: Filters,
    /// The flow.
    pub flow: Vec<Step>,
    /// The schedule (batch only).
    pub schedule: Option<ScheduleRule>,
    /// Active (trigger campaigns; batch and executable are always true).
    pub active: bool,
    /// The qualification rule.
    pub qualify: Qualify,
    /// `block non-operational emails`
    pub block_non_operational: bool,
    /// `max people N`
    pub max_people: Option<u64>,
    /// The campaign's header.
    pub span: Span,
}

/// A flow step with its path (`"1"`, `"3.2.1"`, `"3.else.1"`).
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// Its path in the flow.
    pub path: String,
    /// What it does.
    pub kind: StepKind,
    /// Where it was written.
    pub span: Span,
}

/// What a step does.
#[derive(Clone, Debug, Serialize)]
pub enum StepKind {
    /// `send email`
    SendEmail(EmailId),
    /// `send alert E to ...`
    SendAlert {
        /// The email used as the alert.
        email: EmailId,
        /// Recipient templates.
        to: Vec<Template>,
    },
    /// `change F to V` / `to empty` / `by N`
    ChangeField {
        /// The field (never read-only).
        field: FieldId,
        /// The change.
        value: ChangeValue,
    },
    /// `change program status P to S`
    ChangeProgramStatus {
        /// The program.
        program: ProgramId,
        /// Index of the status in the program's statuses.
        status: usize,
    },
    /// `add to list`
    AddToList(ListId),
    /// `remove from list`
    RemoveFromList(ListId),
    /// `wait ...`
    Wait(Wait),
    /// `request campaign`
    RequestCampaign(CampaignId),
    /// `execute campaign`
    ExecuteCampaign(CampaignId),
    /// `remove from flow [names]` (resolved: this campaign when no names were written)
    RemoveFromFlow(Vec<CampaignId>),
    /// `call webhook`
    CallWebhook(WebhookId),
    /// `interesting moment "..."`
    InterestingMoment(Template),
    /// `delete person`
    DeletePerson,
    /// `if ... else if ... else ...`
    If {
        /// Conditions with their steps, in order.
        branches: Vec<(Cond, Vec<Step>)>,
        /// The `else` steps.
        otherwise: Option<Vec<Step>>,
    },
}

/// The new value of a `change` step.
#[derive(Clone, Debug, Serialize)]
pub enum ChangeValue {
    /// A typed value for a non-text field.
    Set(Scalar),
    /// A text value, possibly holding tokens.
    SetText(Template),
    /// `to empty`
    Clear,
    /// `by N`
    Add(f64),
}

/// A wait.
#[derive(Clone, Debug, Serialize)]
pub enum Wait {
    /// `wait N unit [on days] [at T]`
    For {
        /// How many units.
        amount: u32,
        /// Minutes and hours are elapsed time; days and weeks move the local calendar.
        unit: TimeUnit,
        /// Allowed days (`RecurDays::Any` when unrestricted).
        on: RecurDays,
        /// Resume time of day, if given.
        at: Option<NaiveTime>,
    },
    /// `wait until T`
    Until(DateTime<Utc>),
    /// `wait until F minus|plus D [at T]`
    UntilField {
        /// A date or datetime field.
        field: FieldId,
        /// Signed offset (negative for `minus`) in a unit.
        offset: Option<(i64, TimeUnit)>,
        /// Time of day for a date field.
        at: Option<NaiveTime>,
    },
    /// `wait until next F [at T]`
    NextAnniversary {
        /// A date or datetime field.
        field: FieldId,
        /// Time of day.
        at: Option<NaiveTime>,
    },
}

impl Program {
    /// The type of `field` (text for an id the program does not have).
    pub fn field_type(&self, field: FieldId) -> FieldType {
        self.fields
            .get(field.index())
            .map_or(FieldType::Text, |f| f.ty)
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<FieldId> {
        self.fields
            .iter()
            .position(|f| f.name == name)
            .map(|i| FieldId(i as u32))
    }

    /// The campaign called `name`.
    pub fn campaign(&self, name: &str) -> Option<CampaignId> {
        self.campaigns
            .iter()
            .position(|c| c.name == name)
            .map(|i| CampaignId(i as u32))
    }
}

/// A checked test (LANGUAGE.md 11): statements with names resolved and values typed.
#[derive(Clone, Debug, Serialize)]
pub struct Test {
    /// The test's name.
    pub name: String,
    /// The name as written (its file and line identify the test).
    pub span: Span,
    /// The statements, in order; the first is always [`TestStepKind::From`].
    pub steps: Vec<TestStep>,
}

/// One statement of a test.
#[derive(Clone, Debug, Serialize)]
pub struct TestStep {
    /// What it does.
    pub kind: TestStepKind,
    /// The statement as written.
    pub span: Span,
}

/// What a test statement does.
#[derive(Clone, Debug, Serialize)]
pub enum TestStepKind {
    /// `from T`: the store's clock starts at this instant.
    From(i64),
    /// `person "EMAIL" { ... }`: created (or updated) at the clock, like an import.
    Person {
        /// The email.
        email: String,
        /// The field values given.
        values: Vec<(FieldId, Option<Scalar>)>,
    },
    /// `people "CSV"`: the path as written, relative to the test's file.
    People(String),
    /// `events "JSONL"`: the path as written, relative to the test's file.
    Events(String),
    /// `at T "EMAIL" <event>`
    Event {
        /// When.
        at: i64,
        /// Whose email.
        person: String,
        /// What happens.
        event: TestEvent,
    },
    /// `run "CAMPAIGN" [at T]`: an on-demand batch run.
    Run {
        /// The batch campaign.
        campaign: CampaignId,
        /// When (the clock when `None`).
        at: Option<i64>,
    },
    /// `until T`: everything due up to T is processed.
    Until(i64),
    /// `expect ...`
    Expect(Expect),
}

/// An event of a test, with its assets resolved (the input events of LANGUAGE.md 9.2).
#[derive(Clone, Debug, Serialize)]
pub enum TestEvent {
    /// `fills out form F [on page P] { ... }`
    FillsOutForm {
        /// The form.
        form: FormId,
        /// The page.
        page: Option<PageId>,
        /// The fields it submits.
        fields: Vec<(FieldId, Option<Scalar>)>,
    },
    /// `visits page P`
    VisitsPage(PageId),
    /// `clicks link "URL" in email E`
    ClicksLink {
        /// The email.
        email: EmailId,
        /// The link.
        link: String,
    },
    /// `opens email E`
    OpensEmail(EmailId),
    /// `email is delivered E`
    EmailDelivered(EmailId),
    /// `email bounces E`
    EmailBounced(EmailId),
    /// `unsubscribes from email [E]`
    Unsubscribes(Option<EmailId>),
    /// `data value changes { ... }`
    DataChanged(Vec<(FieldId, Option<Scalar>)>),
    /// `has event "NAME" { ... }`
    Custom {
        /// The event type.
        event: EventId,
        /// Its attributes, typed as declared.
        data: Vec<(String, Option<Scalar>)>,
    },
    /// `requests campaign C`
    RequestCampaign(CampaignId),
}

/// A checked `expect`.
#[derive(Clone, Debug, Serialize)]
pub enum Expect {
    /// `expect "EMAIL" CONDITION`
    Person {
        /// Whose email.
        person: String,
        /// The condition.
        cond: Cond,
    },
    /// `expect N people CONDITION`
    Count {
        /// How many must match.
        count: u32,
        /// The condition.
        cond: Cond,
    },
    /// `expect email "E" to "EMAIL" ...`
    Email {
        /// The email asset.
        email: EmailId,
        /// The recipient address.
        to: String,
        /// `subject`/`body` text tests, all of which must hold.
        tests: Vec<(MessagePart, FieldTest)>,
    },
    /// `expect "EMAIL" [not] waiting in "CAMPAIGN"`
    Waiting {
        /// Whose email.
        person: String,
        /// `not` was written.
        negated: bool,
        /// The campaign.
        campaign: CampaignId,
    },
}

pub use crate::syntax::ast::MessagePart;
