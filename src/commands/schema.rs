use crate::cli::Exit;

/// `bsc schema`: the scorecard format's JSON Schema, derived from the types.
pub fn run() -> Exit {
    let schema = crate::raw::scorecard_schema();
    println!(
        "{}",
        serde_json::to_string_pretty(&schema).expect("schema serialises")
    );
    Exit::Ok
}
