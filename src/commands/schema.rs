use crate::cli::Exit;

/// `bsc schema`: the scorecard format's JSON Schema, derived from the types.
pub fn run() -> Exit {
    let schema = crate::raw::scorecard_schema();
    let mut json = serde_json::to_vec_pretty(&schema).expect("schema serialises");
    json.push(b'\n');
    crate::output::print(&json)
}
