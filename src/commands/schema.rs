use crate::cli::{Exit, SchemaArgs};

/// `bsc schema`: the JSON Schema of the scorecard format, or of
/// measurements files, derived from the types the loaders read.
pub fn run(args: &SchemaArgs) -> Exit {
    let schema = if args.measurements {
        crate::raw::measurements_schema()
    } else {
        crate::raw::scorecard_schema()
    };
    let mut json = serde_json::to_vec_pretty(&schema).expect("schema serialises");
    json.push(b'\n');
    crate::output::print(&json)
}
