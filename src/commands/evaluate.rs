//! `bsc evaluate`: score the last measurements file, with the one before it
//! for trends; a terminal table or SPEC §8 JSON.

use crate::cli::{EvalFormat, EvaluateArgs, Exit};
use crate::score;

pub fn run(args: &EvaluateArgs) -> Exit {
    let (card, periods) = match super::load_run(&args.scorecard, &args.measurements, args.period.as_deref()) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let (current, previous) = match periods.as_slice() {
        [.., prev, cur] => (cur, Some(prev)),
        [cur] => (cur, None),
        [] => return Exit::Usage("no measurements given".into()),
    };
    let eval = match score::evaluate(&card, current, previous) {
        Ok(e) => e,
        Err(m) => return super::report_missing(&m),
    };
    match args.format {
        EvalFormat::Json => println!("{}", serde_json::to_string_pretty(&eval).expect("evaluation serialises")),
        EvalFormat::Table => print!("{}", crate::table::render(&card, &eval, current, super::stdout_color())),
    }
    Exit::Ok
}
