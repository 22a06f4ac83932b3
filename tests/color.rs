//! `--color` against the environment: the CLI cases run with NO_COLOR=1
//! (which a case cannot unset), so the cases without it are here.

use std::process::Command;

const CARD: &str = "tests/cmd/io/cards.in/unused-input.toml";
/// The start of an SGR escape: what coloured output has and plain lacks.
const ESC: &str = "\u{1b}[";

fn stderr(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bsc"));
    c.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("bsc runs");
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stderr).expect("UTF-8")
}

#[test]
fn auto_is_plain_off_a_terminal() {
    let err = stderr(&["validate", CARD], &[]);
    assert!(err.contains("warning[W003]") && !err.contains(ESC), "{err}");
}

#[test]
fn clicolor_force_colours_off_a_terminal() {
    let err = stderr(&["validate", CARD], &[("CLICOLOR_FORCE", "1")]);
    assert!(err.contains(ESC), "{err}");
    let err = stderr(&["validate", CARD], &[("CLICOLOR_FORCE", "0")]);
    assert!(!err.contains(ESC), "{err}");
}

#[test]
fn no_color_wins_over_clicolor_force_and_the_flag_over_both() {
    let both = [("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")];
    assert!(!stderr(&["validate", CARD], &both).contains(ESC));
    assert!(stderr(&["validate", "--color", "always", CARD], &both).contains(ESC));
    let force = [("CLICOLOR_FORCE", "1")];
    assert!(!stderr(&["validate", "--color", "never", CARD], &force).contains(ESC));
}
