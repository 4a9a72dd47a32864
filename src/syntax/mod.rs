//! Text to AST: the pest grammar, the owned AST with spans, and syntax diagnostics.
pub mod ast;
pub mod parser;
pub mod span;
