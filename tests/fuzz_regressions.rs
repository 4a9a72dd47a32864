//! Inputs the fuzz targets once found a problem with, replayed through the same code as their
//! target (`fuzz/harness.rs`): `tests/fuzz_regressions/<target>/<input>`, one folder per target.
//! A new crash is a new file in its target's folder.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

/// What a target does with one input.
type Target = fn(&[u8]);

/// Each target's name and what it does with an input.
const TARGETS: [(&str, Target); 6] = [
    ("parse", harness::parse),
    ("check", harness::check),
    ("template", harness::template),
    ("events", harness::events),
    ("csv", harness::csv),
    ("run", harness::run),
];

#[test]
fn every_saved_input_runs_through_its_target_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut seen = 0;
    for (target, run) in TARGETS {
        let dir = root.join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        files.sort();
        for file in files.iter().filter(|f| f.is_file()) {
            let data = std::fs::read(file).expect("read a saved fuzz input");
            let name = file.display().to_string();
            // The same stack as libFuzzer's main thread would not be guaranteed on a test
            // thread; give it the 8 MiB a main thread has.
            std::thread::Builder::new()
                .stack_size(8 * 1024 * 1024)
                .spawn(move || run(&data))
                .expect("spawn a thread")
                .join()
                .unwrap_or_else(|_| panic!("{name} panicked in target `{target}`"));
            seen += 1;
        }
    }
    eprintln!("{seen} saved fuzz inputs replayed");
}

#[test]
fn every_folder_names_a_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    for entry in std::fs::read_dir(&root).expect("the regressions folder exists") {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            assert!(
                TARGETS.iter().any(|(t, _)| *t == name),
                "`{name}` is not a fuzz target"
            );
        }
    }
}

#[test]
fn the_fixed_prelude_and_program_check() {
    // Targets built on a prelude that does not check would only ever fuzz its error path.
    harness::events(b"");
    harness::csv(b"email\n");
    let mut ws = camp::workspace::Workspace::new();
    ws.add_text("prelude.camp", harness::PRELUDE.to_string());
    assert!(camp::check::check_workspace(&ws).program.is_some());
}
