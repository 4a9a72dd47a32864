//! One runner per store (LANGUAGE.md 13.1), with real processes: a second writer is refused
//! with the holder named (or waits with `--wait`), readers never wait, and the lock of a killed
//! holder is free at once.

#[path = "support/crash_scenario.rs"]
mod crash_scenario;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crash_scenario::*;

const PEOPLE: usize = 1200;

fn camp_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_camp"))
}

/// A `camp repl --db DB` kept open on its standard input: it holds the store's lock until it is
/// killed or its input closes. Returns once it has recorded itself in the lock file.
fn holder(db: &str) -> Child {
    let child = camp_bin()
        .args(["repl", "--db", db])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = format!("{db}.lock");
    let t = Instant::now();
    while !std::fs::read_to_string(&lock)
        .is_ok_and(|s| s.contains(&format!("\"pid\":{}", child.id())))
    {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the REPL never took the lock"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Makes a store ready to run (every event stored) and the reference result of one run.
fn prepared(dir: &Path) -> (String, State) {
    write_files(dir, PEOPLE);
    let base = dir.join("base.db").display().to_string();
    setup(dir, &base);
    let a = dir.join("a.db").display().to_string();
    std::fs::copy(&base, &a).unwrap();
    let out = run_cmd(dir, &a).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    (base, state(&a))
}

#[test]
fn two_runs_started_together_one_refuses_naming_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let (base, want) = prepared(dir.path());
    let b = dir.path().join("b.db").display().to_string();
    std::fs::copy(&base, &b).unwrap();
    let first = run_cmd(dir.path(), &b).spawn().unwrap();
    let second = run_cmd(dir.path(), &b).spawn().unwrap();
    let pids = [first.id(), second.id()];
    let outs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    let codes: Vec<_> = outs.iter().map(|o| o.status.code()).collect();
    let refused = match codes.as_slice() {
        [Some(0), Some(2)] => 1,
        [Some(2), Some(0)] => 0,
        other => panic!("one run succeeds, the other is refused: {other:?}"),
    };
    let message = text(&outs[refused]);
    let runner = pids[1 - refused];
    assert!(
        message.starts_with(&format!(
            "error: `{b}` is being run by pid {runner} (camp run "
        )),
        "{message}"
    );
    assert!(
        message.trim_end().ends_with("; wait for it or pass --wait"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
    assert_same(&state(&b), &want, 1);
}

#[test]
fn two_runs_started_together_with_wait_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let (base, want) = prepared(dir.path());
    let b = dir.path().join("b.db").display().to_string();
    std::fs::copy(&base, &b).unwrap();
    let first = run_cmd(dir.path(), &b).arg("--wait").spawn().unwrap();
    let second = run_cmd(dir.path(), &b).arg("--wait").spawn().unwrap();
    let pids = [first.id(), second.id()];
    let outs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    for o in &outs {
        assert!(o.status.success(), "{}", text(o));
    }
    // Exactly one of them waited for the other, and said so once.
    let waited: Vec<usize> = (0..2)
        .filter(|i| text(&outs[*i]).contains("waiting for"))
        .collect();
    assert_eq!(
        waited.len(),
        1,
        "{:?}",
        outs.iter().map(text).collect::<Vec<_>>()
    );
    let said = text(&outs[waited[0]]);
    assert_eq!(said.matches("waiting for").count(), 1, "{said}");
    assert!(
        said.contains(&format!(
            "waiting for pid {} (camp run ",
            pids[1 - waited[0]]
        )),
        "{said}"
    );
    // The second did nothing twice: the store is one run's.
    assert_same(&state(&b), &want, 1);
}

#[test]
fn the_lock_of_a_killed_holder_is_free_at_once() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), 10);
    let db = dir.path().join("k.db").display().to_string();
    setup(dir.path(), &db);
    let mut repl = holder(&db);
    let out = run_cmd(dir.path(), &db).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "is being run by pid {} (camp repl --db ",
            repl.id()
        )),
        "{}",
        text(&out)
    );
    repl.kill().unwrap(); // SIGKILL: no clean-up of its own
    repl.wait().unwrap();
    // The lock file is still there, with the dead holder's record: it does not matter.
    assert!(Path::new(&format!("{db}.lock")).exists());
    let out = run_cmd(dir.path(), &db).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn readers_never_wait_for_a_runner() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), 10);
    let db = dir.path().join("r.db").display().to_string();
    setup(dir.path(), &db);
    let mut repl = holder(&db);
    for args in [
        vec!["log", "--db", &db],
        vec!["outbox", "--db", &db],
        vec!["people", "--db", &db],
    ] {
        let out = camp_bin().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    // Every command that writes is refused while the REPL holds the store.
    std::fs::write(dir.path().join("p.csv"), "email\nann@example.com\n").unwrap();
    let import = camp_bin()
        .args(["import"])
        .arg(dir.path().join("p.csv"))
        .args(["--db", &db])
        .output()
        .unwrap();
    assert_eq!(import.status.code(), Some(2), "{}", text(&import));
    assert!(
        text(&import).contains("is being run by pid"),
        "{}",
        text(&import)
    );
    let repl2 = camp_bin()
        .args(["repl", "--db", &db])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(repl2.status.code(), Some(2), "{}", text(&repl2));
    repl.kill().unwrap();
    repl.wait().unwrap();
}

#[test]
fn listings_read_a_store_while_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (base, want) = prepared(dir.path());
    let b = dir.path().join("b.db").display().to_string();
    std::fs::copy(&base, &b).unwrap();
    let run = run_cmd(dir.path(), &b).spawn().unwrap();
    let crash = dir.path().join("crash.camp").display().to_string();
    let mut reads = 0;
    let mut first_log = usize::MAX;
    let mut run = Some(run);
    while let Some(mut r) = run.take() {
        for args in [
            vec!["log", "--db", &b, "--format", "json"],
            vec!["outbox", "--db", &b, "--format", "json"],
            vec!["people", &crash, "--db", &b, "--where", "state is \"CA\""],
        ] {
            let out = camp_bin().args(&args).output().unwrap();
            assert!(out.status.success(), "{args:?}: {}", text(&out));
            if reads == 0 {
                first_log = out
                    .stdout
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .count();
            }
            reads += 1;
        }
        match r.try_wait().unwrap() {
            Some(status) => assert!(status.success()),
            None => run = Some(r),
        }
    }
    assert!(reads >= 3);
    assert!(
        first_log < want.log.len(),
        "the first listing read the store mid-run"
    );
    assert_same(&state(&b), &want, 1);
}

#[test]
fn stores_in_memory_take_no_lock() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), 10);
    let runs: Vec<Child> = (0..2)
        .map(|_| {
            camp_bin()
                .current_dir(dir.path())
                .args([
                    "run",
                    "crash.camp",
                    "--db",
                    ":memory:",
                    "--events",
                    "events.jsonl",
                ])
                .args(["--from", FROM, "--until", UNTIL, "-q"])
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for r in runs {
        let out = r.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("memory") || n.ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_wait_for_the_lock_ends_with_sigint() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), 10);
    let db = dir.path().join("w.db").display().to_string();
    setup(dir.path(), &db);
    let before = state(&db);
    let mut repl = holder(&db);
    let mut waiting = run_cmd(dir.path(), &db)
        .arg("--wait")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once it says that it waits, interrupt it.
    let mut stderr = std::io::BufReader::new(waiting.stderr.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut first).unwrap();
    assert!(
        first.starts_with(&format!(
            "waiting for pid {} (camp repl --db {db}, since ",
            repl.id()
        )) && first.ends_with(&format!(") to finish with `{db}`\n")),
        "{first}"
    );
    Command::new("kill")
        .args(["-INT", &waiting.id().to_string()])
        .status()
        .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = waiting.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert_eq!(
        rest,
        format!("stopped by SIGINT while waiting for `{db}`: nothing was done\n")
    );
    repl.kill().unwrap();
    repl.wait().unwrap();
    assert_eq!(state(&db), before, "nothing was done");
}
