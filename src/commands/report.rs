use crate::cli::{ReportArgs, Exit}; pub fn run(_a: &ReportArgs) -> Exit { Exit::Usage("not yet".into()) }
