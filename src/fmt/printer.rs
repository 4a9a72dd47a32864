//! The layout: items, blocks and statements one per line, with the file's comments put back.
//!
//! One cursor walks the comments in source order. Before a statement is printed, every comment
//! that starts before it is printed above it (leading); a comment that follows a statement on
//! the same line, with only spaces between, is printed after it (trailing); comments left before
//! a closing brace are printed inside the block, above the brace.

use super::comments::Comment;
use super::text::{self, name, Strings, INDENT};
use crate::syntax::ast::*;

pub(super) struct Printer<'a> {
    src: &'a str,
    strings: Strings<'a>,
    comments: Vec<Comment>,
    next: usize,
    out: String,
    indent: usize,
    /// Source offset of the end of the last thing printed (for blank-line preservation).
    last_end: usize,
    /// True right after an opening brace (no blank line goes there).
    block_start: bool,
}

impl<'a> Printer<'a> {
    pub(super) fn new(src: &'a str, comments: Vec<Comment>) -> Printer<'a> {
        Printer {
            src,
            strings: Strings { src },
            comments,
            next: 0,
            out: String::new(),
            indent: 0,
            last_end: 0,
            block_start: true,
        }
    }

    pub(super) fn items(mut self, items: &[Item]) -> String {
        let mut prev: Option<&Item> = None;
        for item in items {
            if let Some(p) = prev {
                let grouped = one_liner(p)
                    && one_liner(item)
                    && !self.blank_between(p.span().end as usize, self.item_start(item));
                if !grouped {
                    self.blank();
                }
            }
            self.item(item);
            self.block_start = false;
            prev = Some(item);
        }
        self.leading(self.src.len());
        if self.out.ends_with("\n\n") {
            self.out.pop();
        }
        self.out
    }

    // ------------------------------------------------------------ output helpers

    fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// True when the source has an empty line between `a` and `b`.
    fn blank_between(&self, a: usize, b: usize) -> bool {
        let (a, b) = (a.min(self.src.len()), b.min(self.src.len()));
        if a >= b {
            return false;
        }
        let lines: Vec<&str> = self.src[a..b].split('\n').collect();
        lines.len() > 2
            && lines[1..lines.len() - 1]
                .iter()
                .any(|l| l.trim().is_empty())
    }

    /// Prints every comment that starts before `pos` on its own line; keeps one empty line
    /// where the source had one or more.
    fn leading(&mut self, pos: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if c.start >= pos {
                break;
            }
            let c = c.clone();
            self.next += 1;
            if !self.block_start && self.blank_between(self.last_end, c.start) {
                self.blank();
            }
            self.out.push_str(&INDENT.repeat(self.indent));
            self.out.push_str(&c.text);
            self.out.push('\n');
            self.last_end = c.end;
            self.block_start = false;
        }
    }

    /// Before a statement at `start`: its leading comments and the empty line above it.
    fn before(&mut self, start: usize) {
        self.leading(start);
        if !self.block_start && self.blank_between(self.last_end, start) {
            self.blank();
        }
        self.block_start = false;
    }

    /// Writes `text` as a line at the current indent, then the trailing comment that follows
    /// source offset `end` on the same line, if any.
    fn line(&mut self, text: &str, end: usize) {
        self.out.push_str(&INDENT.repeat(self.indent));
        self.out.push_str(text);
        self.trailing(end);
        self.out.push('\n');
    }

    /// A span's end without the comments and whitespace it may have taken in after its last
    /// token (a construct ending in an optional part can).
    fn token_end(&self, mut end: usize) -> usize {
        loop {
            let trimmed = self.src[..end.min(self.src.len())].trim_end().len();
            match self.comments.iter().find(|c| c.end == trimmed) {
                Some(c) if c.start < end => end = c.start,
                _ => return trimmed,
            }
        }
    }

    fn trailing(&mut self, end: usize) {
        let end = self.token_end(end);
        self.last_end = self.last_end.max(end);
        if let Some(c) = self.comments.get(self.next) {
            let between = self.src.get(end..c.start).unwrap_or("\n");
            if c.start >= end && between.chars().all(|ch| ch == ' ' || ch == '\t') {
                self.out.push(' ');
                self.out.push_str(&c.text);
                self.last_end = c.end;
                self.next += 1;
            }
        }
    }

    /// Position of the first `{` at or after `from`, outside comments.
    fn brace(&self, from: usize) -> usize {
        let bytes = self.src.as_bytes();
        let mut i = from;
        while i < bytes.len() {
            match bytes[i] {
                b'{' => return i,
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
        from
    }

    /// Opens a block: comments before the brace go above, `header {` is written with the
    /// comment that follows the brace on its line.
    fn open(&mut self, header: &str, brace: usize) {
        self.leading(brace);
        self.line(&format!("{header} {{"), brace + 1);
        self.indent += 1;
        self.block_start = true;
    }

    /// Closes a block whose `}` ends at `end`: comments left inside go above the brace.
    fn close(&mut self, end: usize) {
        self.leading(end.saturating_sub(1));
        self.indent -= 1;
        self.line("}", end);
        self.block_start = false;
    }

    /// The source text of `span`, for items printed as written.
    fn verbatim(&mut self, span: Span) {
        let (s, e) = (span.start as usize, span.end as usize);
        self.out.push_str(self.src.get(s..e).unwrap_or(""));
        while self.comments.get(self.next).is_some_and(|c| c.start < e) {
            self.next += 1;
        }
        self.trailing(e);
        self.out.push('\n');
    }

    // ------------------------------------------------------------ items

    /// Where an item starts: the span of `list "X"` is the name's; the keyword comes first.
    fn item_start(&self, item: &Item) -> usize {
        let start = item.span().start as usize;
        match item {
            Item::List(_) | Item::Form(_) | Item::Page(_) => self.keyword_start(start),
            _ => start,
        }
    }

    fn item(&mut self, item: &Item) {
        let span = item.span();
        let start = self.item_start(item);
        self.before(start);
        let end = span.end as usize;
        match item {
            Item::Settings(s) => {
                self.open("settings", self.brace(s.keyword.end as usize));
                for e in &s.entries {
                    let (t, sp) = setting(e);
                    self.before(sp.start as usize);
                    self.line(&t, sp.end as usize);
                }
                self.close(end);
            }
            Item::Schema(s) => {
                self.open("schema person", self.brace(start));
                for f in &s.fields {
                    self.before(f.span.start as usize);
                    self.line(&field_decl(f), f.span.end as usize);
                }
                self.close(end);
            }
            Item::List(n) => self.line(&format!("list {}", name(n)), end),
            Item::Form(n) => self.line(&format!("form {}", name(n)), end),
            Item::Page(n) => self.line(&format!("page {}", name(n)), end),
            Item::Email(e) => self.email(e),
            Item::Webhook(w) => self.webhook(w),
            Item::Event(e) => {
                let header = format!("event {}", name(&e.name));
                if e.attributes.is_empty() && !self.has_brace(e.name.span.end, end) {
                    self.line(&header, end);
                } else {
                    self.open(&header, self.brace(e.name.span.end as usize));
                    for f in &e.attributes {
                        self.before(f.span.start as usize);
                        self.line(&field_decl(f), f.span.end as usize);
                    }
                    self.close(end);
                }
            }
            Item::Program(p) => {
                let header = format!("program {}", name(&p.name));
                if p.statuses.is_empty() && !self.has_brace(p.name.span.end, end) {
                    self.line(&header, end);
                } else {
                    self.open(&header, self.brace(p.name.span.end as usize));
                    if let Some(first) = p.statuses.first() {
                        let last = p.statuses.last().map_or(first.span.end, |l| l.span.end);
                        let ns: Vec<String> = p.statuses.iter().map(name).collect();
                        self.before(self.keyword_start(first.span.start as usize));
                        self.line(&format!("statuses {}", ns.join(", ")), last as usize);
                    }
                    self.close(end);
                }
            }
            Item::Token(t) => {
                let v = self.strings.template(&t.value, self.indent);
                self.line(&format!("token {} = {v}", t.name.name), end);
            }
            Item::SmartList(s) => {
                let header = format!("smart list {}", name(&s.name));
                self.open(&header, self.brace(s.name.span.end as usize));
                self.smart_list_lines(&s.body);
                self.close(end);
            }
            Item::Campaign(c) => self.campaign(c),
            Item::Test(t) => {
                self.open(
                    &format!("test {}", name(&t.name)),
                    self.brace(t.name.span.end as usize),
                );
                for st in &t.statements {
                    let text = self.strings.test_statement(st, self.indent);
                    self.before(st.span.start as usize);
                    self.line(&text, st.span.end as usize);
                }
                self.close(end);
            }
        }
    }

    /// Whether the declaration between `from` and `to` has braces (an empty `{ }` is kept so
    /// that a comment inside it has a place).
    fn has_brace(&self, from: u32, to: usize) -> bool {
        let from = from as usize;
        self.src
            .get(from..to)
            .is_some_and(|s| s.trim_start().starts_with('{'))
            && self.comments.iter().any(|c| c.start > from && c.start < to)
    }

    /// The start of the keyword(s) written before a string at `pos` (`list "X"`).
    fn keyword_start(&self, pos: usize) -> usize {
        let before = &self.src[..pos.min(self.src.len())];
        let trimmed = before.trim_end();
        trimmed
            .rfind(|c: char| c.is_whitespace() || c == '}' || c == '{' || c == '"' || c == ',')
            .map_or(0, |i| i + 1)
    }

    fn email(&mut self, e: &EmailDecl) {
        let end = e.span.end as usize;
        let header = format!("email {}", name(&e.name));
        if !e.repeated.is_empty() {
            self.verbatim(Span {
                start: self.keyword_start(e.name.span.start as usize) as u32,
                ..e.span
            });
            return;
        }
        let mut stmts: Vec<(usize, usize, String)> = Vec::new();
        let ind = self.indent + 1;
        if let Some(t) = &e.subject {
            let s = format!("subject {}", self.strings.template(t, ind));
            stmts.push((
                self.keyword_start(t.span.start as usize),
                t.span.end as usize,
                s,
            ));
        }
        if let Some(t) = &e.body {
            let s = format!("body {}", self.strings.template(t, ind));
            stmts.push((
                self.keyword_start(t.span.start as usize),
                t.span.end as usize,
                s,
            ));
        }
        if let Some(sp) = e.operational {
            stmts.push((sp.start as usize, sp.end as usize, "operational".into()));
        }
        self.statements(&header, e.name.span.end, end, stmts);
    }

    fn webhook(&mut self, w: &WebhookDecl) {
        let end = w.span.end as usize;
        let header = format!("webhook {}", name(&w.name));
        if !w.repeated.is_empty() {
            self.verbatim(Span {
                start: self.keyword_start(w.name.span.start as usize) as u32,
                ..w.span
            });
            return;
        }
        let ind = self.indent + 1;
        let mut stmts: Vec<(usize, usize, String)> = Vec::new();
        if let Some(t) = &w.url {
            let s = format!("url {}", self.strings.template(t, ind));
            stmts.push((
                self.keyword_start(t.span.start as usize),
                t.span.end as usize,
                s,
            ));
        }
        if let Some(m) = &w.method {
            let s = format!("method {}", name(m));
            stmts.push((
                self.keyword_start(m.span.start as usize),
                m.span.end as usize,
                s,
            ));
        }
        if let Some(t) = &w.body {
            let s = format!("body {}", self.strings.template(t, ind));
            stmts.push((
                self.keyword_start(t.span.start as usize),
                t.span.end as usize,
                s,
            ));
        }
        self.statements(&header, w.name.span.end, end, stmts);
    }

    /// A declaration with statements in source order; without any, no braces.
    fn statements(
        &mut self,
        header: &str,
        name_end: u32,
        end: usize,
        mut stmts: Vec<(usize, usize, String)>,
    ) {
        if stmts.is_empty() && !self.has_brace(name_end, end) {
            self.line(header, end);
            return;
        }
        stmts.sort_by_key(|s| s.0);
        self.open(header, self.brace(name_end as usize));
        for (s, e, text) in stmts {
            self.before(s);
            self.line(&text, e);
        }
        self.close(end);
    }

    fn smart_list_lines(&mut self, body: &SmartListBody) {
        let ind = self.indent;
        let mut lines: Vec<(Span, String)> = Vec::new();
        for t in &body.triggers {
            let s = format!("trigger {}", self.strings.activity(&t.activity, true, ind));
            lines.push((t.span, s));
        }
        for f in &body.filters {
            let s = format!("filter {}", self.strings.condition(&f.condition, ind));
            lines.push((f.span, s));
        }
        for m in &body.matches {
            let s = match &m.logic {
                MatchLogic::All => "match all".to_string(),
                MatchLogic::Any => "match any".to_string(),
                MatchLogic::Expr(e) => format!("match {}", text::match_expr(e)),
            };
            lines.push((m.span, s));
        }
        lines.sort_by_key(|l| l.0.start);
        for (span, s) in lines {
            self.before(span.start as usize);
            self.line(&s, span.end as usize);
        }
    }

    // ------------------------------------------------------------ campaigns and flows

    fn campaign(&mut self, c: &Campaign) {
        let mut header = String::new();
        if let Some(k) = &c.declared_kind {
            header.push_str(k.node.as_str());
            header.push(' ');
        }
        header.push_str(&format!("campaign {}", name(&c.name)));
        self.open(&header, self.brace(c.header.end as usize));
        for s in &c.statements {
            let span = s.span();
            self.before(span.start as usize);
            let ind = self.indent;
            let end = span.end as usize;
            match s {
                CampaignStatement::Description(t, _) => {
                    let t = self.strings.template(t, ind);
                    self.line(&format!("description {t}"), end)
                }
                CampaignStatement::InProgram(n, _) => {
                    self.line(&format!("in program {}", name(n)), end)
                }
                CampaignStatement::SmartList(b) => {
                    self.open("smart list", self.brace(span.start as usize));
                    self.smart_list_lines(b);
                    self.close(end);
                }
                CampaignStatement::Flow(b) => {
                    self.open("flow", self.brace(span.start as usize));
                    self.steps(&b.steps);
                    self.close(end);
                }
                CampaignStatement::Run(r) => {
                    let t = self.strings.schedule(r, ind);
                    self.line(&t, end)
                }
                CampaignStatement::Activation(true, _) => self.line("active", end),
                CampaignStatement::Activation(false, _) => self.line("inactive", end),
                CampaignStatement::Qualify(q, _) => {
                    let t = match q {
                        QualifyRule::Once => "qualify once".to_string(),
                        QualifyRule::EveryTime => "qualify every time".to_string(),
                        QualifyRule::OnceEvery(d) => {
                            format!("qualify once every {}", text::duration(d))
                        }
                    };
                    self.line(&t, end)
                }
                CampaignStatement::BlockNonOperational(_) => {
                    self.line("block non-operational emails", end)
                }
                CampaignStatement::MaxPeople(n, _) => {
                    self.line(&format!("max people {}", n.node), end)
                }
            }
        }
        self.close(c.span.end as usize);
    }

    fn steps(&mut self, steps: &[Step]) {
        for s in steps {
            self.before(s.span.start as usize);
            match &s.kind {
                StepKind::If {
                    branches,
                    otherwise,
                } => self.if_step(branches, otherwise.as_ref()),
                k => {
                    let t = self.strings.simple_step(k, self.indent);
                    self.line(&t, s.span.end as usize);
                }
            }
        }
    }

    fn if_step(&mut self, branches: &[(BoolExpr<Condition>, Block)], otherwise: Option<&Block>) {
        let mut prefix = "if".to_string();
        let mut prev_end: Option<usize> = None;
        for (cond, block) in branches {
            let brace = block.span.start as usize;
            let header = format!("{prefix} {}", self.strings.cond_expr(cond, self.indent));
            if prev_end.is_some() {
                self.leading(brace);
                self.indent -= 1;
                self.out.push_str(&INDENT.repeat(self.indent));
                self.out.push_str(&format!("}} {header} {{"));
                self.trailing(brace + 1);
                self.out.push('\n');
                self.indent += 1;
                self.block_start = true;
            } else {
                self.open(&header, brace);
            }
            self.steps(&block.steps);
            prev_end = Some(block.span.end as usize);
            prefix = "else if".to_string();
        }
        if let Some(b) = otherwise {
            let brace = b.span.start as usize;
            self.leading(brace);
            self.indent -= 1;
            self.out.push_str(&INDENT.repeat(self.indent));
            self.out.push_str("} else {");
            self.trailing(brace + 1);
            self.out.push('\n');
            self.indent += 1;
            self.block_start = true;
            self.steps(&b.steps);
            prev_end = Some(b.span.end as usize);
        }
        self.close(prev_end.unwrap_or(0));
    }
}

fn setting(s: &Setting) -> (String, Span) {
    match s {
        Setting::TimeZone(n) => (format!("time zone {}", name(n)), n.span),
        Setting::CommunicationLimits {
            per_day,
            per_week,
            span,
        } => {
            let mut parts = Vec::new();
            if let Some(d) = per_day {
                parts.push(format!("{} per day", d.node));
            }
            if let Some(w) = per_week {
                parts.push(format!("{} per 7 days", w.node));
            }
            (format!("communication limits {}", parts.join(", ")), *span)
        }
        Setting::CascadeDepth(n) => (format!("cascade depth {}", n.node), n.span),
        Setting::From(n) => (format!("from {}", name(n)), n.span),
        Setting::DeliveryRate { rate, span } => {
            (format!("delivery rate {} per second", rate.node), *span)
        }
    }
}

/// Declarations on one line that stay together when they were written together.
fn one_liner(item: &Item) -> bool {
    match item {
        Item::List(_) | Item::Form(_) | Item::Page(_) | Item::Token(_) => true,
        Item::Event(e) => e.attributes.is_empty(),
        Item::Program(p) => p.statuses.is_empty(),
        Item::Email(e) => e.subject.is_none() && e.body.is_none() && e.operational.is_none(),
        Item::Webhook(w) => w.url.is_none() && w.method.is_none() && w.body.is_none(),
        _ => false,
    }
}

fn field_decl(f: &FieldDecl) -> String {
    format!("{}: {}", f.name.name, f.ty.node.as_str())
}
