//! Generated camp text, shared by the robustness tests and the parse benchmark: a deterministic
//! pseudo-random generator and a workspace of varied, valid campaigns.

// Each including crate uses only part of it.
#![allow(dead_code)]

/// xorshift64*: small, deterministic, good enough to vary test inputs.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed` (zero is replaced, xorshift needs a non-zero state).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const STATES: &[&str] = &["\"CA\"", "\"NY\"", "\"TX\"", "\"WA\", \"OR\"", "\"MA\""];
const UNITS: &[&str] = &["minutes", "hours", "days", "weeks"];
const PAGES: &[&str] = &["\"Pricing\"", "\"Home\"", "\"Docs\""];
const FORMS: &[&str] = &["\"Contact Us\"", "\"Sign Up\"", "\"Demo Request\""];
const LISTS: &[&str] = &["\"Newsletter\"", "\"Engaged\"", "\"Customers\""];
const EMAILS: &[&str] = &["\"Welcome\"", "\"Offer\"", "\"Nudge\"", "\"Digest\""];

/// The declarations every generated campaign refers to.
pub fn header() -> String {
    r#"settings {
  time zone "America/New_York"
  communication limits 1 per day, 5 per 7 days
}

schema person {
  first_name: text
  state: text
  lifecycle: text
  employees: number
  birthday: date
  renewal_at: datetime
  vip: bool
}

list "Newsletter"
list "Engaged"
list "Customers"
form "Contact Us"
form "Sign Up"
form "Demo Request"
page "Pricing"
page "Home"
page "Docs"
token company = "Acme Corp"
event "trial_started" { plan: text, seats: number }
program "Webinar" { statuses "Invited", "Registered", "Attended" }

email "Welcome" {
  subject "Welcome, {{person.first_name:default=friend}}"
  body """
    Hi {{person.first_name:default=there}}, thanks for visiting {{my.company}}.
  """
}
email "Offer" { subject "An offer for {{person.state}}" body "See {{my.company}}." }
email "Nudge" { subject "Still there?" body "Hi \u{1F600}, \"come back\"." }
email "Digest" { subject "Your digest" body "Digest for {{system.date}}" operational }

smart list "Californians" { filter state is "CA", "California" }

"#
    .to_string()
}

/// One campaign named `C<i>`, batch or trigger, chosen and filled in by `rng`.
pub fn campaign(i: usize, rng: &mut Rng) -> String {
    let state = rng.pick(STATES);
    let unit = rng.pick(UNITS);
    let page = rng.pick(PAGES);
    let form = rng.pick(FORMS);
    let list = rng.pick(LISTS);
    let email = rng.pick(EMAILS);
    let other = rng.pick(EMAILS);
    let n = 1 + rng.below(30);
    let score = rng.below(100);
    match rng.below(4) {
        0 => format!(
            r#"campaign "C{i}" {{
  description "Batch offer number {i}"
  smart list {{
    filter state is {state}
    filter score at least {score}
    filter not was sent email {email} in past {n} days
    filter employees between 10 and {emp}
    match 1 and (2 or 3) and not 4
  }}
  flow {{
    send email {email}
    wait {n} {unit}
    if clicked link in email {email} link contains "pricing" {{
      change score by {n}
    }} else if state is {state} and score greater than {score} {{
      add to list {list}
    }} else {{
      remove from flow
    }}
  }}
  run every month on day {day} at 09:{min:02} from 2026-12-01 until 2027-06-30
  qualify once every {n} days
  block non-operational emails
}}

"#,
            emp = 100 + score * 10,
            day = 1 + n % 28,
            min = n % 60,
        ),
        1 => format!(
            r#"campaign "C{i}" {{
  smart list {{
    trigger fills out form {form} on page {page}
    trigger visits page {page}
    filter unsubscribed is false
    filter not member of list {list}
  }}
  flow {{
    send email {email}
    change lifecycle to "engaged"
    wait {n} {unit} on weekdays at 09:00
    if opened email {email} in past {n} days at least 2 times {{
      send alert {other} to "sales@example.com", "{{{{person.first_name}}}}@example.com"
      interesting moment "Engaged with {{{{trigger.asset}}}}"
    }}
    add to list {list}
  }}
  qualify every time
}}

"#
        ),
        2 => format!(
            r#"trigger campaign "C{i}" {{
  in program "Webinar"
  smart list {{
    trigger event "trial_started" where plan is "pro" and seats at least {n}
    trigger data value changes state to {first} from "NY"
    filter birthday is not empty
    filter renewal_at in future {n} days
    match any
  }}
  flow {{
    change program status "Webinar" to "Registered"
    wait until renewal_at minus {n} days at 08:30
    if (member of smart list "Californians" or vip is true) and not state is empty {{
      send email {email}
    }}
    wait until next birthday
    send email {other}
    call webhook "CRM"
  }}
  inactive
}}

"#,
            first = state.split(',').next().unwrap_or("\"CA\""),
        ),
        _ => format!(
            r#"batch campaign "C{i}" {{
  smart list {{
    filter had event "trial_started" where plan is "basic" since 2026-10-01
    filter created_at in past before {n} days
    filter first_name starts with "A", "B"
    filter lifecycle not contains "customer"
  }}
  flow {{
    change state to empty
    change score by -{n}
    remove from list {list}
    execute campaign "C{i}x"
    request campaign "C{i}y"
  }}
  run every {n} weeks on mon, thu at 07:15 from 2026-12-07
  max people {cap}
}}

"#,
            cap = 100 + score,
        ),
    }
}

/// The header and `campaigns` campaigns, varied by `seed`.
pub fn workspace(campaigns: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut text = header();
    for i in 0..campaigns {
        text.push_str(&campaign(i, &mut rng));
    }
    text
}
