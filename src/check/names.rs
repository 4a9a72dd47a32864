//! Declaration tables across every file of a workspace, and the duplicates among them.

use std::collections::HashMap;

use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::syntax::ast::{self, FieldType, Item, Script, Setting, Span};

use super::ir::{self, BUILTIN_FIELDS};

/// One declaration of a named thing.
pub(crate) struct Decl<'a, T> {
    /// Its name.
    pub name: &'a str,
    /// Where the name was written.
    pub span: Span,
    /// The declaration.
    pub node: &'a T,
}

/// The declarations of one kind, first declaration of each name wins.
pub(crate) struct Table<'a, T> {
    items: Vec<Decl<'a, T>>,
    index: HashMap<&'a str, u32>,
    /// What the kind is called in messages (`list`, `email`...).
    pub what: &'static str,
}

impl<'a, T> Table<'a, T> {
    fn new(what: &'static str) -> Self {
        Table {
            items: Vec::new(),
            index: HashMap::new(),
            what,
        }
    }

    /// Adds a declaration, or reports it as a duplicate of an earlier one.
    fn insert(&mut self, name: &'a str, span: Span, node: &'a T, diags: &mut Vec<Diagnostic>) {
        if let Some(&i) = self.index.get(name) {
            let first = self.items[i as usize].span;
            diags.push(duplicate(self.what, name, span, first));
            return;
        }
        self.index.insert(name, self.items.len() as u32);
        self.items.push(Decl { name, span, node });
    }

    /// The index of the declaration called `name`.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// The declaration at `index`.
    pub fn at(&self, index: u32) -> Option<&Decl<'a, T>> {
        self.items.get(index as usize)
    }

    /// Every declaration, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Decl<'a, T>> {
        self.items.iter()
    }

    /// Every name, in order.
    pub fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.items.iter().map(|d| d.name)
    }

    /// How many names are declared.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the declaration `node` is the one the table keeps for its name.
    pub fn is_kept(&self, name: &str, node: &T) -> bool {
        self.get(name)
            .and_then(|i| self.at(i))
            .is_some_and(|d| std::ptr::eq(d.node, node))
    }

    /// Looks `name` up, reporting `camp::name::unknown` with a suggestion when it is missing.
    pub fn resolve(&self, name: &ast::Name, diags: &mut Vec<Diagnostic>) -> Option<u32> {
        let found = self.get(&name.text);
        if found.is_none() {
            diags.push(unknown(self.what, &name.text, name.span, self.names()));
        }
        found
    }
}

/// A person field, built in or declared.
pub(crate) struct FieldInfo<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its type.
    pub ty: FieldType,
    /// One of the built-in fields.
    pub builtin: bool,
    /// `id`, `created_at`, `updated_at`.
    pub read_only: bool,
}

/// Every declaration of a workspace.
pub(crate) struct Names<'a> {
    /// Person fields: built-ins first, then the schema's.
    pub fields: Vec<FieldInfo<'a>>,
    field_index: HashMap<&'a str, u32>,
    /// Static lists.
    pub lists: Table<'a, ast::Name>,
    /// Emails.
    pub emails: Table<'a, ast::EmailDecl>,
    /// Forms.
    pub forms: Table<'a, ast::Name>,
    /// Web pages.
    pub pages: Table<'a, ast::Name>,
    /// Webhooks.
    pub webhooks: Table<'a, ast::WebhookDecl>,
    /// Custom events.
    pub events: Table<'a, ast::EventDecl>,
    /// Programs.
    pub programs: Table<'a, ast::ProgramDecl>,
    /// `my.*` tokens.
    pub tokens: Table<'a, ast::TokenDecl>,
    /// Top-level smart lists.
    pub smart_lists: Table<'a, ast::SmartListDecl>,
    /// Campaigns.
    pub campaigns: Table<'a, ast::Campaign>,
    /// Tests (LANGUAGE.md 11).
    pub tests: Table<'a, ast::TestDecl>,
    /// The `settings` block, if any (the first one).
    pub settings: Option<&'a ast::Settings>,
    /// Every item of every file, in order (for passes that need duplicates too).
    pub items: Vec<&'a Item>,
}

impl<'a> Names<'a> {
    /// Collects every declaration of `scripts`, reporting duplicates.
    pub fn collect(scripts: &'a [Script], diags: &mut Vec<Diagnostic>) -> Names<'a> {
        let mut n = Names {
            fields: Vec::new(),
            field_index: HashMap::new(),
            lists: Table::new("list"),
            emails: Table::new("email"),
            forms: Table::new("form"),
            pages: Table::new("page"),
            webhooks: Table::new("webhook"),
            events: Table::new("event"),
            programs: Table::new("program"),
            tokens: Table::new("token"),
            smart_lists: Table::new("smart list"),
            campaigns: Table::new("campaign"),
            tests: Table::new("test"),
            settings: None,
            items: Vec::new(),
        };
        for (name, ty, read_only) in BUILTIN_FIELDS {
            n.field_index.insert(name, n.fields.len() as u32);
            n.fields.push(FieldInfo {
                name,
                ty,
                builtin: true,
                read_only,
            });
        }
        let mut field_spans: HashMap<&'a str, Span> = HashMap::new();
        for item in scripts.iter().flat_map(|s| s.items.iter()) {
            n.items.push(item);
            match item {
                Item::Settings(s) => match n.settings {
                    Some(first) => diags.push(
                        Diagnostic::error(
                            "camp::name::duplicate",
                            s.keyword,
                            "`settings` is written more than once",
                        )
                        .with_label("second `settings` block")
                        .with_secondary(first.keyword, "first `settings` block")
                        .with_help("merge the two blocks into one"),
                    ),
                    None => n.settings = Some(s),
                },
                Item::Schema(s) => {
                    for f in &s.fields {
                        n.add_field(f, &mut field_spans, diags);
                    }
                }
                Item::List(x) => n.lists.insert(&x.text, x.span, x, diags),
                Item::Form(x) => n.forms.insert(&x.text, x.span, x, diags),
                Item::Page(x) => n.pages.insert(&x.text, x.span, x, diags),
                Item::Email(e) => n.emails.insert(&e.name.text, e.name.span, e, diags),
                Item::Webhook(w) => n.webhooks.insert(&w.name.text, w.name.span, w, diags),
                Item::Event(e) => {
                    n.events.insert(&e.name.text, e.name.span, e, diags);
                    check_unique_fields(&e.attributes, "attribute", diags);
                }
                Item::Program(p) => {
                    n.programs.insert(&p.name.text, p.name.span, p, diags);
                    check_unique_statuses(p, diags);
                }
                Item::Token(t) => n.tokens.insert(&t.name.name, t.name.span, t, diags),
                Item::SmartList(s) => n.smart_lists.insert(&s.name.text, s.name.span, s, diags),
                Item::Campaign(c) => n.campaigns.insert(&c.name.text, c.name.span, c, diags),
                Item::Test(t) => n.tests.insert(&t.name.text, t.name.span, t, diags),
            }
        }
        n
    }

    fn add_field(
        &mut self,
        f: &'a ast::FieldDecl,
        spans: &mut HashMap<&'a str, Span>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let name = f.name.name.as_str();
        if let Some(&i) = self.field_index.get(name) {
            let builtin = self.fields.get(i as usize).is_some_and(|f| f.builtin);
            let mut d = Diagnostic::error(
                "camp::name::duplicate",
                f.name.span,
                format!("field `{name}` is declared twice"),
            );
            if builtin {
                d = Diagnostic::error(
                    "camp::name::duplicate",
                    f.name.span,
                    format!("field `{name}` is built in and cannot be declared"),
                )
                .with_label("redeclared here")
                .with_help(format!(
                    "`{name}` is a built-in person field; remove this line or use another name"
                ));
            } else if let Some(&first) = spans.get(name) {
                d = d
                    .with_label("declared again here")
                    .with_secondary(first, "first declared here");
            }
            diags.push(d);
            return;
        }
        spans.insert(name, f.name.span);
        self.field_index.insert(name, self.fields.len() as u32);
        self.fields.push(FieldInfo {
            name,
            ty: f.ty.node,
            builtin: false,
            read_only: false,
        });
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<(ir::FieldId, &FieldInfo<'a>)> {
        let i = *self.field_index.get(name)?;
        self.fields.get(i as usize).map(|f| (ir::FieldId(i), f))
    }

    /// Looks a field up, reporting `camp::name::unknown` when it is missing.
    pub fn resolve_field(
        &self,
        id: &ast::Ident,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(ir::FieldId, FieldType, bool)> {
        match self.field(&id.name) {
            Some((fid, f)) => Some((fid, f.ty, f.read_only)),
            None => {
                diags.push(unknown(
                    "field",
                    &id.name,
                    id.span,
                    self.fields.iter().map(|f| f.name),
                ));
                None
            }
        }
    }

    /// The fields as the checked program lists them.
    pub fn ir_fields(&self) -> Vec<ir::Field> {
        self.fields
            .iter()
            .map(|f| ir::Field {
                name: f.name.to_string(),
                ty: f.ty,
                builtin: f.builtin,
                read_only: f.read_only,
            })
            .collect()
    }

    /// The declared attribute `name` of the event at `event`.
    pub fn attribute(&self, event: u32, name: &str) -> Option<FieldType> {
        let e = self.events.at(event)?;
        e.node
            .attributes
            .iter()
            .find(|a| a.name.name == name)
            .map(|a| a.ty.node)
    }

    /// The index of status `status` in program `program`, reporting it when unknown.
    pub fn resolve_status(
        &self,
        program: u32,
        status: &ast::Name,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<usize> {
        let p = self.programs.at(program)?;
        let found = p.node.statuses.iter().position(|s| s.text == status.text);
        if found.is_none() {
            let mut d = unknown(
                "status",
                &status.text,
                status.span,
                p.node.statuses.iter().map(|s| s.text.as_str()),
            );
            d.message = format!(
                "unknown status `{}` in program `{}`",
                status.text, p.node.name.text
            );
            if d.help.is_none() {
                d.help = Some(statuses_help(p.node));
            }
            diags.push(d);
        }
        found
    }
}

fn statuses_help(p: &ast::ProgramDecl) -> String {
    if p.statuses.is_empty() {
        format!("program `{}` declares no statuses", p.name.text)
    } else {
        let list: Vec<String> = p.statuses.iter().map(|s| format!("`{}`", s.text)).collect();
        format!(
            "program `{}` has the statuses {}",
            p.name.text,
            list.join(", ")
        )
    }
}

fn check_unique_fields(fields: &[ast::FieldDecl], what: &str, diags: &mut Vec<Diagnostic>) {
    for (i, f) in fields.iter().enumerate() {
        if let Some(first) = fields[..i].iter().find(|g| g.name.name == f.name.name) {
            diags.push(
                Diagnostic::error(
                    "camp::name::duplicate",
                    f.name.span,
                    format!("{what} `{}` is declared twice", f.name.name),
                )
                .with_label("declared again here")
                .with_secondary(first.name.span, "first declared here"),
            );
        }
    }
}

fn check_unique_statuses(p: &ast::ProgramDecl, diags: &mut Vec<Diagnostic>) {
    for (i, s) in p.statuses.iter().enumerate() {
        if let Some(first) = p.statuses[..i].iter().find(|t| t.text == s.text) {
            diags.push(
                Diagnostic::error(
                    "camp::name::duplicate",
                    s.span,
                    format!(
                        "status `{}` is declared twice in program `{}`",
                        s.text, p.name.text
                    ),
                )
                .with_label("declared again here")
                .with_secondary(first.span, "first declared here"),
            );
        }
    }
}

/// `camp::name::duplicate` for a second declaration of `name`.
pub(crate) fn duplicate(what: &str, name: &str, second: Span, first: Span) -> Diagnostic {
    Diagnostic::error(
        "camp::name::duplicate",
        second,
        format!("{what} `{name}` is declared twice"),
    )
    .with_label("declared again here")
    .with_secondary(first, "first declared here")
    .with_help(format!("rename or remove one of the two {what}s"))
}

/// `camp::name::unknown` for `name`, suggesting the nearest of `candidates`.
pub(crate) fn unknown<'c>(
    what: &str,
    name: &str,
    span: Span,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Diagnostic {
    let d = Diagnostic::error(
        "camp::name::unknown",
        span,
        format!("unknown {what} `{name}`"),
    )
    .with_label(format!("no {what} is called this"));
    match did_you_mean(name, candidates) {
        Some(help) => d.with_help(help),
        None => d,
    }
}

/// The workspace settings, defaults filled in; an unknown time zone is reported.
pub(crate) fn settings(names: &Names<'_>, diags: &mut Vec<Diagnostic>) -> ir::Settings {
    let mut out = ir::Settings::default();
    let Some(s) = names.settings else {
        return out;
    };
    let mut seen: Vec<(&'static str, Span)> = Vec::new();
    for e in &s.entries {
        let (key, span) = match e {
            Setting::TimeZone(n) => ("time zone", n.span),
            Setting::CommunicationLimits { span, .. } => ("communication limits", *span),
            Setting::CascadeDepth(d) => ("cascade depth", d.span),
            Setting::From(n) => ("from", n.span),
            Setting::DeliveryRate { span, .. } => ("delivery rate", *span),
        };
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            diags.push(
                Diagnostic::error(
                    "camp::name::duplicate",
                    span,
                    format!("`{key}` is set more than once"),
                )
                .with_label("set again here")
                .with_secondary(*first, "first set here"),
            );
            continue;
        }
        seen.push((key, span));
        match e {
            Setting::TimeZone(n) => match n.text.parse::<chrono_tz::Tz>() {
                Ok(tz) => out.time_zone = tz,
                Err(_) => diags.push(unknown(
                    "time zone",
                    &n.text,
                    n.span,
                    chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()),
                )),
            },
            Setting::CommunicationLimits {
                per_day, per_week, ..
            } => {
                out.per_day = per_day.as_ref().map(|d| d.node);
                out.per_week = per_week.as_ref().map(|d| d.node);
            }
            Setting::CascadeDepth(d) => out.cascade_depth = d.node,
            Setting::From(n) => match crate::deliver::parse_mailbox(&n.text) {
                Ok(_) => out.from = Some(n.text.clone()),
                Err(why) => diags.push(
                    Diagnostic::error(
                        "camp::settings::sender",
                        n.span,
                        format!("`{}` is not a sender address: {why}", n.text),
                    )
                    .with_label("the sender of delivered emails")
                    .with_help("write `from \"Name <address@example.com>\"` or `from \"address@example.com\"`"),
                ),
            },
            Setting::DeliveryRate { rate, .. } => {
                if rate.node == 0 {
                    diags.push(
                        Diagnostic::error(
                            "camp::settings::rate",
                            rate.span,
                            "a delivery rate of 0 per second would never deliver anything",
                        )
                        .with_label("at least 1")
                        .with_help("leave the setting out for no limit"),
                    );
                } else {
                    out.delivery_rate = Some(rate.node);
                }
            }
        }
    }
    out
}
