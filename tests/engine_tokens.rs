//! Token rendering in a real run: HTML escaping in email bodies, `:raw`, plain subjects and
//! URL-encoded webhook URLs (LANGUAGE.md section 7).

use camp::engine::inputs::{parse_instant, parse_people_csv};
use camp::engine::run::Engine;
use camp::store::sqlite::SqliteStore;
use camp::store::{LogQuery, Store};
use camp::workspace::Workspace;

const SCRIPT: &str = r#"
schema person { first_name: text  last_name: text }
token footer = "<i>Acme</i>"
email "Hello" {
  subject "Hi {{person.first_name}}"
  body "Hi {{person.first_name}}! {{person.first_name:raw}} {{my.footer}} {{my.footer:raw}} {{person.last_name:default=a&b}}"
}
webhook "CRM" { url "https://crm.example.com/p?name={{person.first_name}}&mail={{person.email}}" method "POST" }
campaign "Once" {
  smart list { filter all people }
  flow {
    send email "Hello"
    call webhook "CRM"
  }
  run at 2026-12-01 09:00
}
"#;

#[test]
fn body_escapes_tokens_subject_does_not_and_webhook_url_is_encoded() {
    let mut ws = Workspace::new();
    ws.add_text("t.camp", SCRIPT.to_string());
    let checked = camp::check::check_workspace(&ws);
    let program = checked.program.expect("script checks clean");
    let tz = program.settings.time_zone;
    let at = |s: &str| parse_instant(s, tz).unwrap().timestamp();
    let csv = "email,first_name\nann@example.com,\"<b>&\"\"'\"\n";
    let records = parse_people_csv(&program, "people.csv", csv.as_bytes()).unwrap();
    let mut store = SqliteStore::open(":memory:").unwrap();
    {
        let mut engine = Engine::new(&program, &mut store).unwrap();
        let start = engine.clock_or_start(at("2026-12-01 00:00")).unwrap();
        engine.import_people(&records, start).unwrap();
        engine.run_until(at("2026-12-02 00:00")).unwrap();
    }
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 2, "{outbox:?}");
    let row = &outbox[0];
    assert_eq!(row.kind, "email");
    assert_eq!(row.to, "ann@example.com");
    assert_eq!(row.subject, "Hi <b>&\"'");
    assert_eq!(
        row.body,
        "Hi &lt;b&gt;&amp;&quot;&#39;! <b>&\"' &lt;i&gt;Acme&lt;/i&gt; <i>Acme</i> a&amp;b"
    );
    let log = store.log(&LogQuery::default()).unwrap();
    let hook = log
        .iter()
        .find(|a| a.kind == "call_webhook")
        .expect("webhook logged");
    assert_eq!(hook.primary.as_deref(), Some("CRM"));
    assert_eq!(
        hook.attributes["url"],
        "https://crm.example.com/p?name=%3Cb%3E%26%22%27&mail=ann%40example.com"
    );
    // The request waits in the outbox for delivery, keyed by its activity.
    let request = &outbox[1];
    assert_eq!(request.kind, "webhook");
    assert_eq!(request.to, hook.attributes["url"].as_str().unwrap());
    assert_eq!(request.key, format!("webhook-{}", hook.id));
}
