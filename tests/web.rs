//! The web view of `camp serve` with the real binary on an ephemeral loopback port: its pages
//! over plain HTTP (status codes, escaping of hostile names, 404s, the login with keys), and in
//! a real headless Chromium (names and counts in the DOM, no console error or failed load,
//! no sideways scrolling at 375 px, screenshots at 1280 and 375 px wide).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "support/serving.rs"]
mod serving;

use serving::Server;

const SCRIPT: &str = r#"
settings { time zone "America/New_York" }
schema person { first_name: text }
form "Sign Up"
list "Newsletter"
email "Welcome" { subject "Hi {{person.first_name:default=friend}}" body "Hello" }

campaign "Welcome" {
  smart list { trigger fills out form "Sign Up" }
  flow {
    send email "Welcome"
    add to list "Newsletter"
    wait 3 days
    change score by 5
  }
}

campaign "Daily digest" {
  smart list {
    filter member of list "Newsletter"
    filter unsubscribed is false
  }
  flow { change score by 1 }
  run every day at 09:00 from 2026-12-01
}

campaign "<script>alert(1)</script>" {
  smart list {
    trigger fills out form "Sign Up"
    filter first_name is "<b>bold</b>"
  }
  flow { change score by 2 }
}
"#;

/// A hostile campaign name as it must appear in HTML.
const HOSTILE_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

/// A store with three people (one with a hostile first name), their sign-ups, two people
/// waiting in "Welcome", behind a `camp serve` with `env`.
fn serve_with_people(dir: &Path, env: &[(&str, &str)]) -> Server {
    std::fs::write(dir.join("web.camp"), SCRIPT).unwrap();
    let server = Server::start(dir, "web.camp", "web.db", &[], env);
    let agent = api_agent(
        env.iter()
            .find(|(k, _)| *k == "CAMP_API_KEYS")
            .map(|(_, v)| *v),
    );
    let people = r#"[
        {"email": "ann@example.com", "first_name": "Ann"},
        {"email": "bob@example.com", "first_name": "Bob"},
        {"email": "eve@example.com", "first_name": "<script>alert('eve')</script>"}
    ]"#;
    let r = agent
        .post(&server.url("/v1/people"))
        .header("Content-Type", "application/json")
        .send(people)
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let events = [
        r#"{"type":"fills_out_form","person":"ann@example.com","form":"Sign Up"}"#,
        r#"{"type":"fills_out_form","person":"bob@example.com","form":"Sign Up"}"#,
    ]
    .join("\n");
    let r = agent.post(&server.url("/v1/events")).send(&events).unwrap();
    assert_eq!(r.status().as_u16(), 202);
    // Both sign-ups have entered "Welcome" and wait there.
    until(Duration::from_secs(20), || {
        let mut r = agent.get(&server.url("/v1/campaigns")).call().ok()?;
        let body: Value = serde_json::from_str(&r.body_mut().read_to_string().ok()?).ok()?;
        let welcome = body.as_array()?.iter().find(|c| c["name"] == "Welcome")?;
        (welcome["waiting"] == 2).then_some(())
    });
    server
}

/// A client that sends the API key (when there is one) and follows no redirect.
fn api_agent(key: Option<&str>) -> ureq::Agent {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    match key {
        None => agent,
        Some(k) => {
            let key = k.split(',').next().unwrap().to_string();
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(Duration::from_secs(20)))
                .middleware(
                    move |mut req: ureq::http::Request<ureq::SendBody>,
                          next: ureq::middleware::MiddlewareNext| {
                        if req.uri().path().starts_with("/v1/") {
                            req.headers_mut()
                                .insert("authorization", format!("Bearer {key}").parse().unwrap());
                        }
                        next.handle(req)
                    },
                )
                .build()
                .into()
        }
    }
}

/// A page: its status, `Content-Type`, `Location` and body.
struct Answer {
    status: u16,
    content_type: String,
    location: String,
    csp: String,
    set_cookie: String,
    body: String,
}

fn fetch(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = agent.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    answer(req.call().unwrap())
}

fn answer(mut r: ureq::http::Response<ureq::Body>) -> Answer {
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (content_type, location, csp, set_cookie) = (
        header("content-type"),
        header("location"),
        header("content-security-policy"),
        header("set-cookie"),
    );
    Answer {
        status: r.status().as_u16(),
        content_type,
        location,
        csp,
        set_cookie,
        body: r.body_mut().read_to_string().unwrap_or_default(),
    }
}

fn until<T>(within: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let t = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t.elapsed() < within, "nothing after {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How many times `needle` occurs in `hay`.
fn occurrences(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn pages_answer_with_their_names_and_counts_escape_everything_and_404_in_html() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with_people(dir.path(), &[]);
    let agent = api_agent(None);

    let home = fetch(&agent, &server.url("/"), &[]);
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(
        home.content_type.starts_with("text/html"),
        "{}",
        home.content_type
    );
    assert!(home.csp.contains("default-src 'none'"), "{}", home.csp);
    assert!(
        home.body
            .contains("3 campaigns, 2 people waiting in their flows."),
        "{}",
        home.body
    );
    assert!(home
        .body
        .contains(r#"<a href="/campaigns/Welcome">Welcome</a>"#));
    assert!(home
        .body
        .contains(r#"<a href="/campaigns/Daily%20digest">Daily digest</a>"#));
    assert!(home.body.contains(HOSTILE_ESCAPED), "{}", home.body);
    assert!(!home.body.contains("<script"), "{}", home.body);

    // The hostile campaign's page: its name and its filter's text escaped.
    let hostile = fetch(
        &agent,
        &server.url("/campaigns/%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
        &[],
    );
    assert_eq!(hostile.status, 200, "{}", hostile.body);
    assert!(!hostile.body.contains("<script"), "{}", hostile.body);
    assert!(!hostile.body.contains("<b>bold"), "{}", hostile.body);
    assert!(
        hostile
            .body
            .contains("first_name is &quot;&lt;b&gt;bold&lt;/b&gt;&quot;"),
        "{}",
        hostile.body
    );

    let welcome = fetch(&agent, &server.url("/campaigns/Welcome"), &[]);
    assert_eq!(welcome.status, 200);
    assert!(
        welcome.body.contains(r#"<dd id="waiting-count">2</dd>"#),
        "{}",
        welcome.body
    );
    assert!(
        welcome
            .body
            .contains("trigger fills out form &quot;Sign Up&quot;"),
        "{}",
        welcome.body
    );
    assert!(welcome.body.contains("<svg"), "the flow picture is inlined");
    assert!(welcome.body.contains("wait 3 days"), "{}", welcome.body);
    assert!(
        welcome.body.contains("2 entries in the last 30 days"),
        "{}",
        welcome.body
    );
    assert_eq!(
        occurrences(&welcome.body, "<a href=\"/people/"),
        2,
        "{}",
        welcome.body
    );

    // Eve's first name is shown as text.
    let eve = fetch(&agent, &server.url("/people/eve@example.com"), &[]);
    assert_eq!(eve.status, 200, "{}", eve.body);
    assert!(
        eve.body
            .contains("&lt;script&gt;alert(&#39;eve&#39;)&lt;/script&gt;")
            || eve
                .body
                .contains("&lt;script&gt;alert('eve')&lt;/script&gt;"),
        "{}",
        eve.body
    );
    assert!(!eve.body.contains("<script"), "{}", eve.body);

    // Ann: her fields, her list, her wait in "Welcome", her log with explanation links.
    let ann = fetch(&agent, &server.url("/people/1"), &[]);
    assert_eq!(ann.status, 200, "{}", ann.body);
    assert!(
        ann.body.contains("<h1>ann@example.com</h1>"),
        "{}",
        ann.body
    );
    assert!(ann.body.contains("<li>Newsletter</li>"), "{}", ann.body);
    assert!(
        ann.body.contains("waiting at step <code>3</code>"),
        "{}",
        ann.body
    );
    let links = occurrences(&ann.body, "href=\"/explain?activity=");
    assert!(links >= 4, "{links} explanation links: {}", ann.body);
    assert!(
        ann.body.contains(&format!("{links} activities.")),
        "{}",
        ann.body
    );

    // An activity's explanation, and a person's against a campaign.
    let why = fetch(&agent, &server.url("/explain?activity=1"), &[]);
    assert_eq!(why.status, 200, "{}", why.body);
    assert!(
        why.body.contains("<pre id=\"explanation\">"),
        "{}",
        why.body
    );
    let would = fetch(
        &agent,
        &server.url("/explain?person=1&campaign=Daily%20digest"),
        &[],
    );
    assert_eq!(would.status, 200, "{}", would.body);
    assert!(
        would.body.contains("member of list &quot;Newsletter&quot;"),
        "{}",
        would.body
    );

    // The email's explanation goes back through the enter_flow to the form fill.
    let send = ann
        .body
        .split("href=\"/explain?activity=")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .find(|id| {
            let page = fetch(&agent, &server.url(&format!("/explain?activity={id}")), &[]);
            page.body.contains("send_email")
        })
        .expect("an explained send_email");
    let why = fetch(
        &agent,
        &server.url(&format!("/explain?activity={send}")),
        &[],
    );
    assert!(why.body.contains("fill_out_form"), "{}", why.body);
    let unknown = fetch(
        &agent,
        &server.url("/explain?person=1&campaign=Welcom"),
        &[],
    );
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.body.contains("No campaign is called `Welcom`"),
        "{}",
        unknown.body
    );

    // Search by email, exact and case-insensitive.
    let found = fetch(&agent, &server.url("/search?email=ANN%40Example.com"), &[]);
    assert_eq!((found.status, found.location.as_str()), (303, "/people/1"));
    let none = fetch(&agent, &server.url("/search?email=ann%40example.co"), &[]);
    assert_eq!(none.status, 404);
    assert!(
        none.body
            .contains("No person has the email <q>ann@example.co</q>."),
        "{}",
        none.body
    );

    // The schedule of a given month: one digest a day.
    let feb = fetch(&agent, &server.url("/schedule?month=2027-02"), &[]);
    assert_eq!(feb.status, 200, "{}", feb.body);
    assert!(
        feb.body.contains("28 batch runs in February 2027"),
        "{}",
        feb.body
    );
    assert_eq!(occurrences(&feb.body, "<li class=\"run\">"), 28);
    assert!(feb.body.contains("href=\"/schedule?month=2027-01\""));
    assert!(feb.body.contains("href=\"/schedule?month=2027-03\""));
    let now = fetch(&agent, &server.url("/schedule"), &[]);
    assert_eq!(now.status, 200);
    assert!(now.body.contains("(today)"), "{}", now.body);

    // Unknown things are 404 pages; a bad month is 400; unknown paths stay JSON for the API.
    for (path, status, text) in [
        ("/campaigns/Welcom", 404, "Did you mean `Welcome`?"),
        (
            "/people/nobody@example.com",
            404,
            "No person is <q>nobody@example.com</q>",
        ),
        ("/people/99", 404, "No person is <q>99</q>"),
        (
            "/explain?activity=999999",
            404,
            "The log has no activity 999999.",
        ),
        ("/explain?person=1", 400, "Nothing to explain"),
        ("/schedule?month=2027-13", 400, "The month is written like"),
    ] {
        let a = fetch(&agent, &server.url(path), &[]);
        assert_eq!(a.status, status, "{path}: {}", a.body);
        assert!(a.content_type.starts_with("text/html"), "{path}");
        assert!(a.body.contains(text), "{path}: {}", a.body);
    }
    let page = fetch(&agent, &server.url("/nowhere"), &[("Accept", "text/html")]);
    assert_eq!(page.status, 404);
    assert!(page.body.contains("No such page"), "{}", page.body);
    let api = fetch(&agent, &server.url("/nowhere"), &[]);
    assert_eq!(
        (api.status, api.body.as_str()),
        (404, r#"{"error":"no such endpoint"}"#)
    );
    let api = fetch(
        &agent,
        &server.url("/v1/nowhere"),
        &[("Accept", "text/html")],
    );
    assert_eq!(
        (api.status, api.body.as_str()),
        (404, r#"{"error":"no such endpoint"}"#)
    );

    let css = fetch(&agent, &server.url("/style.css"), &[]);
    assert_eq!(css.status, 200);
    assert!(css.content_type.starts_with("text/css"));
    // Without keys there is nothing to log in to.
    let login = fetch(&agent, &server.url("/login"), &[]);
    assert_eq!((login.status, login.location.as_str()), (303, "/"));
}

#[test]
fn with_keys_pages_need_a_session_opened_by_the_login_form() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with_people(dir.path(), &[("CAMP_API_KEYS", "first-key,second-key")]);
    let agent = api_agent(None);

    // No cookie: to the login form, which comes back after.
    let home = fetch(&agent, &server.url("/schedule?month=2027-02"), &[]);
    assert_eq!(home.status, 303);
    assert_eq!(home.location, "/login?next=%2Fschedule%3Fmonth%3D2027-02");
    let form = fetch(&agent, &server.url(&home.location), &[]);
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains(r#"<label for="key">API key</label>"#),
        "{}",
        form.body
    );
    assert!(
        form.body.contains(r#"value="/schedule?month=2027-02""#),
        "{}",
        form.body
    );

    let login = |key: &str, next: &str| {
        answer(
            agent
                .post(&server.url("/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send(format!("key={key}&next={next}"))
                .unwrap(),
        )
    };
    let wrong = login("third-key", "%2F");
    assert_eq!(wrong.status, 403, "{}", wrong.body);
    assert!(
        wrong.body.contains("This key is not one of the server"),
        "{}",
        wrong.body
    );
    assert!(wrong.set_cookie.is_empty());
    let empty = login("", "%2F");
    assert_eq!(empty.status, 403);
    assert!(empty.body.contains("Enter a key."), "{}", empty.body);

    // The right key: a signed cookie, not the key, and on to where the visitor was going.
    let right = login("second-key", "%2Fschedule%3Fmonth%3D2027-02");
    assert_eq!(
        (right.status, right.location.as_str()),
        (303, "/schedule?month=2027-02")
    );
    assert!(
        right.set_cookie.starts_with("camp_session="),
        "{}",
        right.set_cookie
    );
    assert!(
        right.set_cookie.contains("HttpOnly"),
        "{}",
        right.set_cookie
    );
    assert!(
        right.set_cookie.contains("SameSite=Strict"),
        "{}",
        right.set_cookie
    );
    assert!(
        !right.set_cookie.contains("second-key"),
        "{}",
        right.set_cookie
    );
    let cookie = right.set_cookie.split(';').next().unwrap().to_string();
    for path in [
        "/",
        "/campaigns/Welcome",
        "/people/1",
        "/schedule",
        "/explain?activity=1",
    ] {
        let page = fetch(&agent, &server.url(path), &[("Cookie", &cookie)]);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains("Log out"), "{path}");
    }
    // A next that leaves the site is ignored.
    let away = login("first-key", "https%3A%2F%2Fevil.example%2F");
    assert_eq!(away.location, "/");
    let away = login("first-key", "%2F%2Fevil.example");
    assert_eq!(away.location, "/");

    // A forged or altered cookie is no session; an API key in the header is one.
    let forged = format!("{}0", cookie);
    let page = fetch(&agent, &server.url("/"), &[("Cookie", &forged)]);
    assert_eq!(page.status, 303);
    let page = fetch(
        &agent,
        &server.url("/"),
        &[("Cookie", "camp_session=second-key")],
    );
    assert_eq!(page.status, 303);
    let page = fetch(
        &agent,
        &server.url("/"),
        &[("Authorization", "Bearer first-key")],
    );
    assert_eq!(page.status, 200);

    // The JSON API still wants its key, cookie or not.
    let api = fetch(&agent, &server.url("/v1/campaigns"), &[("Cookie", &cookie)]);
    assert_eq!(api.status, 401, "{}", api.body);

    // Logging out drops the cookie.
    let out = answer(
        agent
            .post(&server.url("/logout"))
            .header("Cookie", &cookie)
            .send("")
            .unwrap(),
    );
    assert_eq!((out.status, out.location.as_str()), (303, "/login"));
    assert!(out.set_cookie.contains("Max-Age=0"), "{}", out.set_cookie);
}

// ---- In a real browser ----

/// Says on standard error, past the test harness's capture, that a test is skipped and why.
fn skip(reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {reason}");
}

/// The Chromium to drive: `CAMP_CHROMIUM`, or the first of the usual names on `PATH`.
fn chromium() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("CAMP_CHROMIUM").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("CAMP_CHROMIUM `{}` is not a file", p.display()))
        };
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "no Chromium found (looked for {} on PATH; `tests/run` installs Debian's `chromium`)",
        names.join(", ")
    ))
}

/// A headless Chromium with a fresh profile in `dir`.
fn browser(path: PathBuf, dir: &Path) -> headless_chrome::Browser {
    use std::ffi::OsStr;
    let profile = dir.join("profile");
    std::fs::create_dir_all(&profile).unwrap();
    let options = headless_chrome::LaunchOptions::default_builder()
        .path(Some(path))
        .headless(true)
        .sandbox(false)
        .user_data_dir(Some(profile))
        .window_size(Some((1280, 900)))
        .idle_browser_timeout(Duration::from_secs(120))
        .args(vec![
            OsStr::new("--disable-gpu"),
            OsStr::new("--disable-background-networking"),
            OsStr::new("--disable-component-update"),
            OsStr::new("--disable-sync"),
            OsStr::new("--no-first-run"),
        ])
        .build()
        .unwrap();
    headless_chrome::Browser::new(options).unwrap()
}

/// What went wrong in the page: console errors and warnings, uncaught exceptions, failed
/// loads, security violations.
type Problems = Arc<Mutex<Vec<String>>>;

fn watch(tab: &headless_chrome::Tab) -> Problems {
    use headless_chrome::protocol::cdp::types::Event;
    use headless_chrome::protocol::cdp::Log::LogEntryLevel;
    use headless_chrome::protocol::cdp::Runtime::ConsoleAPICalledEventTypeOption as Kind;
    let problems: Problems = Arc::default();
    let seen = Arc::clone(&problems);
    tab.enable_log().unwrap();
    tab.enable_runtime().unwrap();
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let problem = match event {
            Event::RuntimeConsoleAPICalled(e)
                if matches!(e.params.Type, Kind::Error | Kind::Warning | Kind::Assert) =>
            {
                Some(format!("console: {:?}", e.params.args))
            }
            Event::RuntimeExceptionThrown(e) => {
                Some(format!("exception: {}", e.params.exception_details.text))
            }
            Event::LogEntryAdded(e)
                if matches!(
                    e.params.entry.level,
                    LogEntryLevel::Error | LogEntryLevel::Warning
                ) =>
            {
                Some(format!(
                    "log: {} ({})",
                    e.params.entry.text,
                    e.params.entry.url.clone().unwrap_or_default()
                ))
            }
            _ => None,
        };
        if let Some(p) = problem {
            seen.lock().unwrap().push(p);
        }
    }))
    .unwrap();
    problems
}

/// Sets the viewport to `width` × `height` CSS pixels.
fn viewport(tab: &headless_chrome::Tab, width: u32, height: u32) {
    use headless_chrome::protocol::cdp::Emulation;
    tab.call_method(Emulation::SetDeviceMetricsOverride {
        width,
        height,
        device_scale_factor: 1.0,
        mobile: width < 500,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })
    .unwrap();
}

/// Evaluates `js` in the page; its value as JSON.
fn eval(tab: &headless_chrome::Tab, js: &str) -> Value {
    tab.evaluate(js, false)
        .unwrap_or_else(|e| panic!("{js}: {e}"))
        .value
        .unwrap_or(Value::Null)
}

/// What every page must be: one `<h1>`, a language, a skip link to the main content, every
/// field labelled, every table header cell scoped, no script.
const EVERY_PAGE: [&str; 6] = [
    "document.querySelectorAll('h1').length === 1",
    "document.documentElement.lang === 'en'",
    "document.querySelector('a.skip').getAttribute('href') === '#main' && document.querySelector('main#main') !== null",
    "[...document.querySelectorAll('input:not([type=hidden]), select')].every(i => i.labels.length > 0)",
    "[...document.querySelectorAll('table th')].every(th => th.scope === (th.closest('thead') ? 'col' : 'row'))",
    "document.querySelectorAll('script').length === 0",
];

/// Loads `url` at `width` px, checks `checks` (JavaScript expressions that must be `true`),
/// that nothing scrolls sideways, and that no problem was reported; saves a full-page
/// screenshot as `shots/NAME-WIDTH.png`.
fn visit(
    tab: &headless_chrome::Tab,
    problems: &Problems,
    shots: &Path,
    name: &str,
    url: &str,
    width: u32,
    checks: &[&str],
) {
    use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
    viewport(tab, width, 900);
    tab.navigate_to(url)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    for check in EVERY_PAGE.iter().chain(checks) {
        assert_eq!(
            eval(tab, check),
            Value::Bool(true),
            "{name} at {width} px: {check}"
        );
    }
    let sideways = eval(
        tab,
        "document.documentElement.scrollWidth > document.documentElement.clientWidth",
    );
    if sideways != Value::Bool(false) {
        let wide = eval(
            tab,
            "[...document.querySelectorAll('body *')].filter(e => !(e.parentElement && e.parentElement.closest('.scroll, figure.flow')) && e.getBoundingClientRect().right > document.documentElement.clientWidth).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 12).join('; ')",
        );
        panic!("{name} scrolls sideways at {width} px: {wide}");
    }
    let height = eval(tab, "document.documentElement.scrollHeight")
        .as_u64()
        .unwrap_or(900)
        .clamp(300, 8000) as u32;
    viewport(tab, width, height);
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(shots.join(format!("{name}-{width}.png")), png).unwrap();
    // A page answered with an error status (the "no person" page) is reported as a failed
    // load of its own address; any other failure is a problem.
    let own = format!("({url})");
    let seen: Vec<String> = std::mem::take(&mut *problems.lock().unwrap())
        .into_iter()
        .filter(|p| !(p.contains("status of 404") && p.ends_with(&own)))
        .collect();
    assert!(seen.is_empty(), "{name} at {width} px: {seen:#?}");
}

/// Where screenshots go: `CAMP_WEB_SCREENSHOTS` to keep them, the test's own folder otherwise.
fn screenshots(dir: &Path) -> PathBuf {
    let shots = match std::env::var_os("CAMP_WEB_SCREENSHOTS") {
        Some(d) => PathBuf::from(d),
        None => dir.join("shots"),
    };
    std::fs::create_dir_all(&shots).unwrap();
    shots
}

#[test]
fn every_page_loads_cleanly_in_chromium_at_1280_and_375_px() {
    let path = match chromium() {
        Ok(p) => p,
        Err(reason) => {
            skip(&reason);
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with_people(dir.path(), &[]);
    let shots = screenshots(dir.path());
    let browser = browser(path, dir.path());
    let tab = browser.new_tab().unwrap();
    let problems = watch(&tab);
    let pages: [(&str, String, Vec<&str>); 9] = [
        (
            "campaigns",
            server.url("/"),
            vec![
                "document.querySelectorAll('#campaigns tbody tr').length === 3",
                "document.querySelector('#campaigns tbody tr th').textContent === 'Welcome'",
                "[...document.querySelectorAll('#campaigns tbody th')].some(t => t.textContent === '<script>alert(1)</script>')",
                "document.querySelectorAll('script').length === 0",
                "document.querySelector('#summary').textContent.includes('2 people waiting')",
                "getComputedStyle(document.body).fontFamily.length > 0",
            ],
        ),
        (
            "campaign",
            server.url("/campaigns/Welcome"),
            vec![
                "document.querySelector('h1').textContent === 'Campaign \u{201c}Welcome\u{201d}' || document.querySelector('h1').textContent.includes('Welcome')",
                "document.querySelector('#waiting-count').textContent === '2'",
                "document.querySelectorAll('#triggers li').length === 1",
                "document.querySelectorAll('figure.flow svg').length === 1",
                "document.querySelectorAll('#waiting tbody tr').length === 2",
                "document.querySelectorAll('#entries-per-day tbody tr').length === 30",
            ],
        ),
        (
            "batch-campaign",
            server.url("/campaigns/Daily%20digest"),
            vec![
                "document.querySelectorAll('#filters li').length === 2",
                "document.querySelector('#filters li code').textContent === 'member of list \"Newsletter\"'",
            ],
        ),
        (
            "hostile-campaign",
            server.url("/campaigns/%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
            vec![
                "document.querySelector('h1').textContent.includes('<script>alert(1)</script>')",
                "document.querySelectorAll('script').length === 0",
            ],
        ),
        (
            "person",
            server.url("/people/ann@example.com"),
            vec![
                "document.querySelector('h1').textContent === 'ann@example.com'",
                "[...document.querySelectorAll('#list-names li')].map(l => l.textContent).join() === 'Newsletter'",
                "document.querySelectorAll('#positions tbody tr').length === 1",
                "document.querySelectorAll('#activities tbody tr').length >= 4",
                "document.querySelectorAll('#activities a[href^=\"/explain?activity=\"]').length === document.querySelectorAll('#activities tbody tr').length",
            ],
        ),
        (
            "hostile-person",
            server.url("/people/eve@example.com"),
            vec![
                "[...document.querySelectorAll('#field-values dd')].some(d => d.textContent === \"<script>alert('eve')</script>\")",
                "document.querySelectorAll('script').length === 0",
            ],
        ),
        (
            "explain",
            server.url("/explain?activity=1"),
            vec!["document.querySelector('#explanation').textContent.length > 0"],
        ),
        (
            "schedule",
            server.url("/schedule?month=2027-02"),
            vec![
                "document.querySelectorAll('#calendar li.run').length === 28",
                "document.querySelectorAll('#calendar thead th').length === 7",
                "document.querySelector('a[rel=next]').getAttribute('href') === '/schedule?month=2027-03'",
            ],
        ),
        (
            "no-person",
            server.url("/search?email=nobody%40example.com"),
            vec!["document.querySelector('h1').textContent === 'No person'"],
        ),
    ];
    for (name, url, checks) in &pages {
        for width in [1280, 375] {
            visit(&tab, &problems, &shots, name, url, width, checks);
        }
    }
    // Search from the header with the keyboard: the skip link comes first, then the form.
    viewport(&tab, 1280, 900);
    tab.navigate_to(&server.url("/"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.press_key("Tab").unwrap();
    assert_eq!(
        eval(&tab, "document.activeElement.textContent"),
        Value::from("Skip to content")
    );
    tab.find_element("#search-email").unwrap().click().unwrap();
    tab.type_str("BOB@example.com")
        .unwrap()
        .press_key("Enter")
        .unwrap();
    until(Duration::from_secs(10), || {
        tab.get_url().ends_with("/people/2").then_some(())
    });
    tab.wait_until_navigated().unwrap();
    assert_eq!(
        eval(&tab, "document.querySelector('h1').textContent"),
        Value::from("bob@example.com")
    );
    let seen = std::mem::take(&mut *problems.lock().unwrap());
    assert!(seen.is_empty(), "{seen:#?}");
}

#[test]
fn with_keys_chromium_logs_in_through_the_form() {
    let path = match chromium() {
        Ok(p) => p,
        Err(reason) => {
            skip(&reason);
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with_people(dir.path(), &[("CAMP_API_KEYS", "the-key")]);
    let shots = screenshots(dir.path());
    let browser = browser(path, dir.path());
    let tab = browser.new_tab().unwrap();
    let problems = watch(&tab);
    visit(
        &tab,
        &problems,
        &shots,
        "login",
        &server.url("/people/1"),
        375,
        &["document.querySelector('h1').textContent === 'Log in'"],
    );
    tab.find_element("#key").unwrap().click().unwrap();
    tab.type_str("not-the-key")
        .unwrap()
        .press_key("Enter")
        .unwrap();
    until(Duration::from_secs(10), || {
        tab.find_element("#login-error").ok().map(|_| ())
    });
    tab.find_element("#key").unwrap().click().unwrap();
    tab.type_str("the-key").unwrap().press_key("Enter").unwrap();
    until(Duration::from_secs(10), || {
        tab.get_url().ends_with("/people/1").then_some(())
    });
    tab.wait_until_navigated().unwrap();
    until(Duration::from_secs(10), || {
        (eval(
            &tab,
            "document.querySelector('h1') && document.querySelector('h1').textContent",
        ) == "ann@example.com")
            .then_some(())
    });
    // The cookie is out of the page's reach.
    assert_eq!(eval(&tab, "document.cookie"), Value::from(""));
    let seen: Vec<String> = std::mem::take(&mut *problems.lock().unwrap())
        .into_iter()
        .filter(|p| !p.contains("403"))
        .collect();
    assert!(seen.is_empty(), "{seen:#?}");
}
