use crate::cli::{EvaluateArgs, Exit}; pub fn run(_a: &EvaluateArgs) -> Exit { Exit::Usage("not yet".into()) }
