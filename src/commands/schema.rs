use crate::cli::{Exit, SchemaArgs};

/// `bsc schema`: the JSON Schema of the scorecard format, or of
/// measurements files, derived from the types the loaders read; or of the
/// JSON output, derived from the types that serialise it.
pub fn run(args: &SchemaArgs) -> Exit {
    let schema = if args.output {
        crate::score::output_schema()
    } else if args.measurements {
        crate::raw::measurements_schema()
    } else {
        crate::raw::scorecard_schema()
    };
    let mut json = serde_json::to_vec_pretty(&schema).expect("schema serialises");
    json.push(b'\n');
    crate::output::print(&json)
}
