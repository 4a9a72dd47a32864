//! From the workspace's syntax trees to the checked [`ir::Program`] the engine runs, reporting
//! every problem of LANGUAGE.md section 8.
pub mod ir;

use crate::diagnostic::Diagnostic;
use crate::workspace::Workspace;

/// The outcome of checking a workspace.
#[derive(Debug)]
pub struct Checked {
    /// The checked program, when there are no errors.
    pub program: Option<ir::Program>,
    /// Every problem found, syntax included, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks a parsed workspace: its syntax diagnostics plus the checker's.
pub fn check_workspace(ws: &Workspace) -> Checked {
    let mut diagnostics = ws.diagnostics.clone();
    crate::diagnostic::sort(&mut diagnostics);
    Checked {
        program: None,
        diagnostics,
    }
}
