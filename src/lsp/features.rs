//! Hover, completion and document symbols.

use lsp_types::{
    CompletionItem, CompletionItemKind, DocumentSymbol, Hover, HoverContents, MarkupContent,
    MarkupKind, Range, SymbolKind, TextEdit,
};

use super::index::{NameIndex, NameKind, Occurrence};
use super::world::World;
use crate::syntax::ast::*;

/// Built-in person fields with their types.
pub const BUILTIN_FIELDS: &[(&str, &str)] = &[
    ("id", "number"),
    ("email", "text"),
    ("score", "number"),
    ("created_at", "datetime"),
    ("updated_at", "datetime"),
    ("unsubscribed", "bool"),
    ("marketing_suspended", "bool"),
    ("email_invalid", "bool"),
];

fn source(world: &World, span: Span) -> &str {
    world
        .entry(span.file)
        .and_then(|f| f.text.get(span.start as usize..span.end as usize))
        .unwrap_or("")
}

/// The item of `file` whose span holds `span`.
fn item_at(world: &World, span: Span) -> Option<&Item> {
    world
        .scripts
        .get(span.file.0 as usize)?
        .items
        .iter()
        .find(|i| {
            let s = i.span();
            s.start <= span.start && span.end <= s.end
        })
}

/// Markdown describing a declaration of `occ`'s name.
pub fn hover(world: &World, index: &NameIndex, occ: &Occurrence) -> Option<Hover> {
    let mut blocks = Vec::new();
    for d in index.declarations(occ.kind, &occ.name) {
        blocks.push(describe(world, d));
    }
    if blocks.is_empty() {
        if occ.kind == NameKind::Field {
            let (_, ty) = BUILTIN_FIELDS.iter().find(|(n, _)| *n == occ.name)?;
            blocks.push(format!(
                "```camp\n{}: {ty}\n```\nbuilt-in person field",
                occ.name
            ));
        } else {
            blocks.push(format!(
                "unknown {} `{}`: not declared in the workspace",
                occ.kind.describe(),
                occ.name
            ));
        }
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: blocks.join("\n\n---\n\n"),
        }),
        range: None,
    })
}

fn describe(world: &World, d: &Occurrence) -> String {
    let item = item_at(world, d.span);
    match (d.kind, item) {
        (NameKind::Field, Some(Item::Schema(s))) => {
            let f = s.fields.iter().find(|f| f.name.span == d.span);
            let ty = f.map_or("", |f| f.ty.node.as_str());
            format!("```camp\n{}: {ty}\n```\nperson field", d.name)
        }
        (NameKind::Campaign, Some(Item::Campaign(c))) => campaign_summary(world, c),
        (_, Some(item)) => {
            let mut text = match item {
                Item::List(n) => format!("list {}", source(world, n.span)),
                Item::Form(n) => format!("form {}", source(world, n.span)),
                Item::Page(n) => format!("page {}", source(world, n.span)),
                other => source(world, other.span()).to_string(),
            };
            let lines: Vec<&str> = text.lines().collect();
            if lines.len() > 20 {
                text = format!("{}\n  ...", lines[..20].join("\n"));
            }
            // The declaration names its kind itself (`email "Welcome" {`): nothing after it.
            format!("```camp\n{text}\n```")
        }
        _ => format!("{} `{}`", d.kind.describe(), d.name),
    }
}

/// A campaign's kind, triggers and schedule.
pub fn campaign_summary(world: &World, c: &Campaign) -> String {
    let mut triggers = Vec::new();
    let mut schedule = Vec::new();
    let mut activation = None;
    for s in &c.statements {
        match s {
            CampaignStatement::SmartList(b) => {
                triggers.extend(b.triggers.iter().map(|t| source(world, t.span).to_string()))
            }
            CampaignStatement::Run(r) => schedule.push(source(world, r.span).to_string()),
            CampaignStatement::Activation(a, _) => activation = Some(*a),
            _ => {}
        }
    }
    let kind = crate::check::infer_kind(
        c.declared_kind.as_ref().map(|k| k.node),
        !triggers.is_empty(),
    );
    let mut out = format!(
        "```camp\n{}\n```\n**{} campaign**",
        source(world, c.header),
        kind.as_str()
    );
    if kind == CampaignKind::Trigger {
        out.push_str(if activation == Some(false) {
            " (inactive)"
        } else {
            " (active)"
        });
    }
    if !triggers.is_empty() {
        out.push_str("\n\ntriggers:\n```camp\n");
        out.push_str(&triggers.join("\n"));
        out.push_str("\n```");
    }
    if !schedule.is_empty() {
        out.push_str("\n\nschedule:\n```camp\n");
        out.push_str(&schedule.join("\n"));
        out.push_str("\n```");
    } else if kind == CampaignKind::Batch {
        out.push_str("\n\nno schedule: runs on demand");
    }
    out
}

/// What the text before the cursor asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Want {
    /// A quoted name of a kind.
    Quoted(NameKind),
    /// A bare name of a kind (`{{my.`, `{{person.`).
    Bare(NameKind),
    /// Keywords and field names.
    Anything,
}

/// Phrases that a quoted name follows, longest first where one ends another.
const PHRASES: &[(&str, NameKind)] = &[
    ("member of smart list", NameKind::SmartList),
    ("send email", NameKind::Email),
    ("send alert", NameKind::Email),
    ("was sent email", NameKind::Email),
    ("opened email", NameKind::Email),
    ("opens email", NameKind::Email),
    ("clicked link in email", NameKind::Email),
    ("clicks link in email", NameKind::Email),
    ("was delivered email", NameKind::Email),
    ("email is delivered", NameKind::Email),
    ("email bounced", NameKind::Email),
    ("email bounces", NameKind::Email),
    ("unsubscribed from email", NameKind::Email),
    ("unsubscribes from email", NameKind::Email),
    ("add to list", NameKind::List),
    ("remove from list", NameKind::List),
    ("member of list", NameKind::List),
    ("added to list", NameKind::List),
    ("removed from list", NameKind::List),
    ("fills out form", NameKind::Form),
    ("filled out form", NameKind::Form),
    ("visits page", NameKind::Page),
    ("visited page", NameKind::Page),
    ("on page", NameKind::Page),
    ("member of program", NameKind::Program),
    ("change program status", NameKind::Program),
    ("program status changes", NameKind::Program),
    ("program status", NameKind::Program),
    ("in program", NameKind::Program),
    ("call webhook", NameKind::Webhook),
    ("had event", NameKind::Event),
    ("trigger event", NameKind::Event),
    ("request campaign", NameKind::Campaign),
    ("execute campaign", NameKind::Campaign),
    ("member of campaign", NameKind::Campaign),
    ("campaign was requested", NameKind::Campaign),
    ("remove from flow", NameKind::Campaign),
    // Test statements (LANGUAGE.md 11).
    ("expect email", NameKind::Email),
    ("in email", NameKind::Email),
    ("has event", NameKind::Event),
    ("requests campaign", NameKind::Campaign),
    ("waiting in", NameKind::Campaign),
];

/// Reads the line before the cursor: where the name being typed starts, and what fits there.
pub(crate) fn context(before: &str) -> (usize, Want) {
    if let Some(open) = before.rfind("{{") {
        if !before[open..].contains("}}") {
            let inside = &before[open + 2..];
            let start = before.len() - inside.rsplit('.').next().map_or(0, str::len);
            if let Some(rest) = inside.strip_prefix("my.") {
                if !rest.contains(['.', ':']) {
                    return (start, Want::Bare(NameKind::Token));
                }
            }
            if let Some(rest) = inside.strip_prefix("person.") {
                if !rest.contains(['.', ':']) {
                    return (start, Want::Bare(NameKind::Field));
                }
            }
        }
    }
    let quotes = before.matches('"').count();
    let (start, head) = if quotes % 2 == 1 {
        let q = before.rfind('"').unwrap_or(0);
        (q, &before[..q])
    } else {
        let word = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        (word, &before[..word])
    };
    let head = head.trim_end();
    let head = head.strip_suffix(',').map_or(head, |h| {
        // `remove from flow "A", "B"`: the list continues.
        h.rfind("remove from flow")
            .map_or(h, |i| &h[..i + "remove from flow".len()])
    });
    for (phrase, kind) in PHRASES {
        if head.ends_with(phrase) {
            let boundary = head.len() - phrase.len();
            if boundary == 0 || !head.as_bytes()[boundary - 1].is_ascii_alphanumeric() {
                return (start, Want::Quoted(*kind));
            }
        }
    }
    (start, Want::Anything)
}

fn item_kind(k: NameKind) -> CompletionItemKind {
    match k {
        NameKind::Field => CompletionItemKind::FIELD,
        NameKind::Token => CompletionItemKind::CONSTANT,
        NameKind::Campaign => CompletionItemKind::FUNCTION,
        NameKind::Event => CompletionItemKind::EVENT,
        _ => CompletionItemKind::VALUE,
    }
}

/// Completions at byte `offset` of `text` (a line of `lines`).
pub fn completion(
    index: &NameIndex,
    text: &str,
    offset: usize,
    replace: impl Fn(usize, usize) -> Range,
) -> Vec<CompletionItem> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let (start, want) = context(before);
    // A closing quote the editor already inserted is replaced too.
    let end = match want {
        Want::Quoted(_) if text[offset..].starts_with('"') => offset + 1,
        _ => offset,
    };
    let range = replace(line_start + start, end);
    let named = |kind: NameKind, quoted: bool| -> Vec<CompletionItem> {
        let mut names: Vec<String> = index.declared(kind).into_iter().map(String::from).collect();
        if kind == NameKind::Field {
            names.extend(BUILTIN_FIELDS.iter().map(|(n, _)| n.to_string()));
            names.sort();
            names.dedup();
        }
        names
            .into_iter()
            .map(|n| {
                let insert = if quoted {
                    crate::fmt::text::name(&Name {
                        text: n.clone(),
                        span: Span::default(),
                    })
                } else {
                    n.clone()
                };
                CompletionItem {
                    label: n,
                    kind: Some(item_kind(kind)),
                    detail: Some(kind.describe().to_string()),
                    filter_text: Some(insert.clone()),
                    text_edit: Some(lsp_types::CompletionTextEdit::Edit(TextEdit {
                        range,
                        new_text: insert,
                    })),
                    ..CompletionItem::default()
                }
            })
            .collect()
    };
    // Keywords and statements replace the word typed so far, like names: clients that cut a
    // plain label at its first space (`send email`) get the whole text from the edit.
    let keyword = |label: &str, rank: char| CompletionItem {
        label: label.to_string(),
        kind: Some(CompletionItemKind::KEYWORD),
        sort_text: Some(format!("{rank}{label}")),
        filter_text: Some(label.to_string()),
        text_edit: Some(lsp_types::CompletionTextEdit::Edit(TextEdit {
            range,
            new_text: label.to_string(),
        })),
        ..CompletionItem::default()
    };
    match want {
        Want::Quoted(k) => named(k, true),
        Want::Bare(k) => named(k, false),
        Want::Anything => {
            use crate::syntax::fits;
            let head = &before[..start];
            if head.trim().is_empty() {
                // The start of a line: the statements of the block the cursor is in.
                let place = fits::place_at(text, line_start + start);
                return fits::statements(place)
                    .iter()
                    .enumerate()
                    .map(|(i, st)| {
                        let mut item = keyword(st, '0');
                        // In the order of `statements`, the most common first.
                        item.sort_text = Some(format!("0{i:02}"));
                        item
                    })
                    .collect();
            }
            if let Some(next) = fits::next_words(head) {
                return next.iter().map(|w| keyword(w, '0')).collect();
            }
            let mut items = Vec::new();
            if fits::field_follows(head) {
                items = named(NameKind::Field, false);
                for item in &mut items {
                    item.sort_text = Some(format!("0{}", item.label));
                }
            }
            items.extend(
                crate::syntax::keywords::RESERVED
                    .iter()
                    .map(|kw| keyword(kw, '1')),
            );
            items
        }
    }
}

/// The outline of one file: campaigns and declarations.
#[allow(deprecated)]
pub fn symbols(script: &Script, range: impl Fn(Span) -> Range) -> Vec<DocumentSymbol> {
    let sym =
        |name: String, detail: &str, kind: SymbolKind, whole: Span, sel: Span| DocumentSymbol {
            name,
            detail: Some(detail.to_string()),
            kind,
            tags: None,
            deprecated: None,
            range: range(whole),
            selection_range: range(sel),
            children: None,
        };
    let mut out = Vec::new();
    for item in &script.items {
        let span = item.span();
        let s = match item {
            Item::Settings(s) => sym(
                "settings".into(),
                "",
                SymbolKind::NAMESPACE,
                span,
                s.keyword,
            ),
            Item::Schema(s) => {
                let mut x = sym("schema person".into(), "", SymbolKind::STRUCT, span, span);
                x.children = Some(
                    s.fields
                        .iter()
                        .map(|f| {
                            sym(
                                f.name.name.clone(),
                                f.ty.node.as_str(),
                                SymbolKind::FIELD,
                                f.span,
                                f.name.span,
                            )
                        })
                        .collect(),
                );
                x
            }
            Item::List(n) => sym(n.text.clone(), "list", SymbolKind::ARRAY, span, n.span),
            Item::Form(n) => sym(n.text.clone(), "form", SymbolKind::OBJECT, span, n.span),
            Item::Page(n) => sym(n.text.clone(), "page", SymbolKind::FILE, span, n.span),
            Item::Email(e) => sym(
                e.name.text.clone(),
                "email",
                SymbolKind::STRING,
                span,
                e.name.span,
            ),
            Item::Webhook(w) => sym(
                w.name.text.clone(),
                "webhook",
                SymbolKind::INTERFACE,
                span,
                w.name.span,
            ),
            Item::Event(e) => sym(
                e.name.text.clone(),
                "event",
                SymbolKind::EVENT,
                span,
                e.name.span,
            ),
            Item::Program(p) => sym(
                p.name.text.clone(),
                "program",
                SymbolKind::PACKAGE,
                span,
                p.name.span,
            ),
            Item::Token(t) => sym(
                t.name.name.clone(),
                "token",
                SymbolKind::CONSTANT,
                span,
                t.name.span,
            ),
            Item::SmartList(s) => sym(
                s.name.text.clone(),
                "smart list",
                SymbolKind::CLASS,
                span,
                s.name.span,
            ),
            Item::Test(t) => sym(
                t.name.text.clone(),
                "test",
                SymbolKind::METHOD,
                span,
                t.name.span,
            ),
            Item::Campaign(c) => {
                let has_trigger = c.statements.iter().any(
                    |s| matches!(s, CampaignStatement::SmartList(b) if !b.triggers.is_empty()),
                );
                let kind =
                    crate::check::infer_kind(c.declared_kind.as_ref().map(|k| k.node), has_trigger);
                sym(
                    c.name.text.clone(),
                    &format!("{} campaign", kind.as_str()),
                    SymbolKind::FUNCTION,
                    span,
                    c.name.span,
                )
            }
        };
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_reads_the_phrase_before_the_cursor() {
        assert_eq!(context("    send email ").1, Want::Quoted(NameKind::Email));
        assert_eq!(
            context("    send email \"We").1,
            Want::Quoted(NameKind::Email)
        );
        assert_eq!(context("    send email \"We").0, 15);
        assert_eq!(
            context("  filter member of smart list \"").1,
            Want::Quoted(NameKind::SmartList)
        );
        assert_eq!(context("  add to list ").1, Want::Quoted(NameKind::List));
        assert_eq!(
            context("  expect \"a@b.c\" waiting in \"").1,
            Want::Quoted(NameKind::Campaign)
        );
        assert_eq!(
            context("  at 2026-12-01 10:00 \"a@b.c\" clicks link \"https://x\" in email \"").1,
            Want::Quoted(NameKind::Email)
        );
        assert_eq!(context("  expect email ").1, Want::Quoted(NameKind::Email));
        assert_eq!(
            context("  remove from flow \"A\", ").1,
            Want::Quoted(NameKind::Campaign)
        );
        assert_eq!(
            context("subject \"Hi {{my.co").1,
            Want::Bare(NameKind::Token)
        );
        assert_eq!(
            context("subject \"Hi {{person.").1,
            Want::Bare(NameKind::Field)
        );
        assert_eq!(context("  change sta").1, Want::Anything);
    }
}
