//! The pest parser generated from `grammar/camp.pest`.

use pest_derive::Parser;

/// The generated parser; `Rule` names every grammar rule.
#[derive(Parser)]
#[grammar = "../grammar/camp.pest"]
pub struct CampParser;
