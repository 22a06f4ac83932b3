//! CLI behaviour as data: every `tests/cmd/<group>/*.toml` case names the
//! arguments, and the `.stdout` / `.stderr` files beside it hold the exact
//! expected output (`TRYCMD=overwrite cargo test --test cli` regenerates
//! them; review the diff like code). A case's `*.in/` directory is its
//! working directory.

#[test]
fn cli_cases() {
    trycmd::TestCases::new()
        .env("NO_COLOR", "1")
        .case("tests/cmd/*/*.toml");
}
