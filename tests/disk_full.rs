//! A full disk mid-run (LANGUAGE.md 13.1): `camp run` exits 2 saying that the disk holding the
//! store is full, the store keeps what was committed, and once space is freed a new `camp run`
//! ends exactly like one uninterrupted run. The disk is a real one: a size-limited tmpfs that the
//! test mounts, which needs root; elsewhere the test says why it is skipped.

#[path = "support/crash_scenario.rs"]
mod crash_scenario;

use std::path::{Path, PathBuf};
use std::process::Command;

use crash_scenario::*;

const PEOPLE: usize = 600;

/// Unmounts the tmpfs when dropped, whatever happened.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// Mounts a tmpfs of `size` at `at`; `None` (with the reason printed) when it cannot be done.
fn mount_small_disk(at: &Path, size: &str) -> Option<Mounted> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        eprintln!(
            "skipped: mounting a size-limited tmpfs needs root, and this test runs as another user"
        );
        return None;
    }
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(at)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(Mounted(at.to_path_buf())),
        Ok(o) => {
            eprintln!(
                "skipped: cannot mount a tmpfs here: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Err(e) => {
            eprintln!("skipped: cannot run `mount`: {e}");
            None
        }
    }
}

#[test]
fn a_full_disk_stops_the_run_and_a_later_run_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), PEOPLE);
    let base = dir.path().join("base.db").display().to_string();
    setup(dir.path(), &base);
    let a = dir.path().join("a.db").display().to_string();
    std::fs::copy(&base, &a).unwrap();
    let out = run_cmd(dir.path(), &a).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = state(&a);

    let small = dir.path().join("small");
    std::fs::create_dir(&small).unwrap();
    // The store before the run takes about 220 KB; the run needs about 2 MB and its journal.
    let Some(mounted) = mount_small_disk(&small, "1m") else {
        return;
    };
    let b = small.join("b.db").display().to_string();
    std::fs::copy(&base, &b).unwrap();
    let out = run_cmd(dir.path(), &b).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!("error: the disk holding `{b}` is full: free some space and run again (what was committed is intact)")
    );

    // Space freed: the store holds a beginning of the reference log, intact, and a new run
    // finishes it.
    let grown = Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(&small)
        .status()
        .unwrap();
    assert!(grown.success());
    let conn = rusqlite::Connection::open(&b).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    let partial = state(&b);
    assert!(
        partial.log.len() < want.log.len(),
        "the run stopped part way"
    );
    assert_eq!(
        partial.log[..],
        want.log[..partial.log.len()],
        "what was committed is a beginning of the run"
    );
    let out = run_cmd(dir.path(), &b).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same(&state(&b), &want, 1);
    no_wait_lost(&b);
    drop(mounted);
}
