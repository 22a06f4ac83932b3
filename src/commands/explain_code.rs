//! `bsc explain-code CODE`: the long explanation of a diagnostic code,
//! from `docs/codes.md` (like `rustc --explain`).

use crate::cli::{Exit, ExplainCodeArgs};

pub fn run(args: &ExplainCodeArgs) -> Exit {
    match crate::codes::resolve(&args.code) {
        Ok(e) => {
            crate::output::print(format!("{}: {}\n\n{}\n", e.code, e.title, e.body).as_bytes())
        }
        Err(msg) => Exit::Usage(msg),
    }
}
