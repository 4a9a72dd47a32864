//! The checked program the engine receives: paths, resolved ids, typed values, schedules.

use camp::check::ir::{
    ActivityType, ChangeValue, Cond, FieldTest, Logic, LogicExpr, Program, Qualify, RecurDays,
    Scalar, ScheduleRule, Step, StepKind, Wait,
};
use camp::check::{check, ir::CampaignKind};
use camp::syntax::parse_file;
use camp::syntax::span::FileId;

fn program(text: &str) -> Program {
    let script = match parse_file(FileId(0), text) {
        Ok(s) => s,
        Err(d) => panic!("does not parse: {:?}", d.first().map(|d| &d.message)),
    };
    let checked = check(&[script]);
    let msgs: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    match checked.program {
        Some(p) => p,
        None => panic!("not clean: {msgs:?}"),
    }
}

fn paths(steps: &[Step], out: &mut Vec<String>) {
    for s in steps {
        out.push(s.path.clone());
        if let StepKind::If {
            branches,
            otherwise,
        } = &s.kind
        {
            for (_, b) in branches {
                paths(b, out);
            }
            if let Some(b) = otherwise {
                paths(b, out);
            }
        }
    }
}

const WORKSPACE: &str = r#"
settings { time zone "America/New_York" }
schema person { state: text, renewal_at: datetime }
list "A"
list "B"
program "Webinar" { statuses "Invited", "Attended" }
campaign "Batch" {
  smart list {
    filter state is "CA"
    filter renewal_at is 2026-12-01
    match 1 or not 2
  }
  flow {
    add to list "A"
    if state is "CA" {
      add to list "B"
      if state is "NY" { add to list "A" }
    } else if state is "TX" {
      remove from list "A"
    } else {
      change renewal_at to 2026-12-24
      change program status "Webinar" to "Attended"
    }
    wait 2 days on weekdays at 09:00
  }
  run every month on 2nd tue at 09:00 from 2026-12-01 10:00 until 2027-06-30
}
campaign "Requested" {
  smart list { trigger campaign is requested }
  flow { wait until renewal_at minus 30 days remove from flow }
  qualify every time
  inactive
}
"#;

#[test]
fn steps_have_paths() {
    let p = program(WORKSPACE);
    let mut out = Vec::new();
    paths(&p.campaigns[0].flow, &mut out);
    assert_eq!(
        out,
        [
            "1",
            "2",
            "2.1.1",
            "2.1.2",
            "2.1.2.1.1",
            "2.2.1",
            "2.else.1",
            "2.else.2",
            "3"
        ]
    );
}

#[test]
fn campaigns_are_resolved_and_typed() {
    let p = program(WORKSPACE);
    let batch = &p.campaigns[0];
    assert_eq!(batch.kind, CampaignKind::Batch);
    assert!(matches!(
        &batch.filters.logic,
        Logic::Expr(LogicExpr::Or(v)) if v.len() == 2
    ));
    let renewal = p.field("renewal_at").map(|f| f.0);
    match &batch.filters.conditions[1] {
        Cond::Field {
            field,
            test: FieldTest::Is(v),
        } => {
            assert_eq!(Some(field.0), renewal);
            assert!(matches!(v.as_slice(), [Scalar::Date(_)]));
        }
        other => panic!("unexpected {other:?}"),
    }
    match &batch.schedule {
        Some(ScheduleRule::Every(r)) => {
            assert_eq!(r.interval, 1);
            assert_eq!(r.on, RecurDays::NthWeekday(2, chrono::Weekday::Tue));
            assert_eq!(r.from.to_string(), "2026-12-01 10:00:00");
            assert_eq!(
                r.until.map(|u| u.to_string()).as_deref(),
                Some("2027-06-30 23:59:59")
            );
            assert_eq!(r.tz.name(), "America/New_York");
        }
        other => panic!("unexpected {other:?}"),
    }
    let StepKind::If {
        otherwise: Some(els),
        ..
    } = &batch.flow[1].kind
    else {
        panic!("not a choice")
    };
    match &els[0].kind {
        StepKind::ChangeField {
            value: ChangeValue::Set(Scalar::DateTime(t)),
            ..
        } => {
            // midnight in New York is 05:00 UTC in December
            assert_eq!(t.to_rfc3339(), "2026-12-24T05:00:00+00:00");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        els[1].kind,
        StepKind::ChangeProgramStatus { status: 1, .. }
    ));
    assert!(matches!(
        &batch.flow[2].kind,
        StepKind::Wait(Wait::For {
            amount: 2,
            on: RecurDays::Weekdays,
            at: Some(_),
            ..
        })
    ));

    let req = &p.campaigns[1];
    assert_eq!(req.kind, CampaignKind::Trigger);
    assert!(!req.active);
    assert_eq!(req.qualify, Qualify::EveryTime);
    assert_eq!(req.triggers[0].activity, ActivityType::RequestCampaign);
    assert_eq!(req.triggers[0].asset.as_deref(), Some("Requested"));
    assert!(matches!(
        &req.flow[0].kind,
        StepKind::Wait(Wait::UntilField {
            offset: Some((-30, _)),
            ..
        })
    ));
    assert!(
        matches!(&req.flow[1].kind, StepKind::RemoveFromFlow(v) if v.len() == 1 && v[0].0 == 1)
    );
}

#[test]
fn builtin_fields_come_first() {
    let p = program(WORKSPACE);
    let names: Vec<&str> = p.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(&names[..3], ["id", "email", "score"]);
    assert_eq!(&names[8..], ["state", "renewal_at"]);
}
