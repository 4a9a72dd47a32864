//! From the workspace's syntax trees to the checked [`ir::Program`] the engine runs, reporting
//! every problem of LANGUAGE.md section 8.
pub mod ir;
