//! Parse + check of a generated workspace of 1,000 campaigns (goal: at most 100 ms).

use std::fmt::Write;

use camp::check::check;
use camp::syntax::parse_file;
use camp::syntax::span::FileId;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// A workspace with `n` campaigns: a third batch, a third trigger, a third executable.
pub fn workspace(n: usize) -> String {
    let mut s = String::from(
        "settings { time zone \"America/New_York\" }\n\
         schema person { state: text, employees: number, birthday: date, renewal_at: datetime }\n\
         token company = \"Acme\"\n\
         form \"Contact Us\"\npage \"Pricing\"\n\
         program \"Webinar\" { statuses \"Invited\", \"Registered\", \"Attended\" }\n\
         event \"trial_started\" { plan: text, seats: number }\n",
    );
    for i in 0..n {
        let _ = writeln!(s, "list \"List {i}\"");
        let _ = writeln!(
            s,
            "email \"Email {i}\" {{ subject \"Hi {{{{person.state:default=there}}}}\" body \"\"\"\n  From {{{{my.company}}}}, {{{{campaign.name}}}}\n\"\"\" }}"
        );
    }
    for i in 0..n {
        match i % 3 {
            0 => {
                let _ = write!(
                    s,
                    "campaign \"C{i}\" {{\n  smart list {{\n    filter state is \"CA\", \"NY\"\n    filter employees at least {i}\n    filter not was sent email \"Email {i}\" in past 30 days\n    match 1 and (2 or 3)\n  }}\n  flow {{\n    send email \"Email {i}\"\n    wait 2 days\n    if clicked link in email \"Email {i}\" {{ change score by 10 }} else if state is \"CA\" {{ add to list \"List {i}\" }} else {{ {} }}\n  }}\n  run every month on day 1 at 09:00 from 2026-12-01 until 2027-06-30\n  qualify once every 1 month\n}}\n",
                    if i + 2 < n {
                        format!("execute campaign \"C{}\"", i + 2)
                    } else {
                        "delete person".to_string()
                    }
                );
            }
            1 => {
                let _ = write!(
                    s,
                    "campaign \"C{i}\" {{\n  smart list {{\n    trigger fills out form \"Contact Us\" on page \"Pricing\"\n    trigger event \"trial_started\" where plan is \"pro\" and seats at least 5\n    filter unsubscribed is false\n  }}\n  flow {{\n    send email \"Email {i}\"\n    change state to \"{{{{trigger.plan}}}}\"\n    change program status \"Webinar\" to \"Registered\"\n    wait until next birthday at 09:00\n    remove from list \"List {i}\"\n  }}\n  qualify every time\n}}\n"
                );
            }
            _ => {
                let _ = write!(
                    s,
                    "executable campaign \"C{i}\" {{\n  smart list {{ filter score at least 50 }}\n  flow {{ add to list \"List {i}\" interesting moment \"Scored {{{{person.score}}}}\" }}\n}}\n"
                );
            }
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = workspace(1_000);
    let mut g = c.benchmark_group("check");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse_and_check_1000_campaigns", |b| {
        b.iter(|| {
            let script = parse_file(FileId(0), &text).expect("the generated workspace parses");
            let checked = check(std::slice::from_ref(&script));
            assert!(checked.program.is_some());
            checked
        })
    });
    g.bench_function("check_only_1000_campaigns", |b| {
        let script = parse_file(FileId(0), &text).expect("the generated workspace parses");
        b.iter(|| check(std::slice::from_ref(&script)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
