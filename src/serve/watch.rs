//! What asks for a reload: `SIGHUP`, and a change of a script file on disk.
//!
//! Both set one flag that the runner looks at every tick. The files' folders are watched (an
//! editor often saves by writing a new file and renaming it over the old one), and only events
//! about the script files themselves count.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// Sets `flag` on each `SIGHUP`.
pub fn on_sighup(flag: &Arc<AtomicBool>) -> std::io::Result<()> {
    signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(flag))?;
    Ok(())
}

/// Watches `files` and sets `flag` when one of them changes. The watcher works as long as the
/// returned value lives.
pub fn on_change(files: &[PathBuf], flag: &Arc<AtomicBool>) -> notify::Result<RecommendedWatcher> {
    let wanted: Vec<PathBuf> = files.iter().map(|f| absolute(f)).collect();
    let flag = Arc::clone(flag);
    let names = wanted.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if event.kind.is_access() {
            return;
        }
        if event.paths.iter().any(|p| names.iter().any(|n| same(p, n))) {
            flag.store(true, Ordering::SeqCst);
        }
    })?;
    let mut folders: Vec<PathBuf> = wanted
        .iter()
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    folders.sort();
    folders.dedup();
    for folder in folders {
        watcher.watch(&folder, RecursiveMode::NonRecursive)?;
    }
    Ok(watcher)
}

/// `path` made absolute (against the current folder), its folder resolved when it can be.
fn absolute(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => dir
            .canonicalize()
            .map(|d| d.join(name))
            .unwrap_or(path.clone()),
        _ => path,
    }
}

/// Whether an event's path names the script `wanted`.
fn same(path: &Path, wanted: &Path) -> bool {
    path == wanted || absolute(path) == wanted
}
