//! `bsc init` writes starter files that validate clean, for every template
//! and language, and never overwrites without --force.

use std::process::Command;

fn bsc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bsc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("bsc runs")
}

#[test]
fn every_starter_validates_clean() {
    for template in ["crm", "corporate", "appraisal"] {
        for lang in ["en", "zh"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("card");
            let p = path.to_str().unwrap();
            let out = bsc(&["init", p, "--template", template, "--lang", lang]);
            assert!(
                out.status.success(),
                "{template}/{lang}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let files: Vec<_> = std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(
                files.len(),
                2,
                "a scorecard and a measurements file: {files:?}"
            );
            let out = bsc(&["validate", "--deny-warnings", p]);
            assert!(
                out.status.success(),
                "{template}/{lang}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("ok: 2 files checked, no problems")
            );
        }
    }
}

#[test]
fn init_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().to_str().unwrap();
    assert!(bsc(&["init", p]).status.success());
    let card = dir.path().join("crm.toml");
    std::fs::write(&card, "# my edits\n").unwrap();
    let out = bsc(&["init", p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists; pass --force"));
    assert_eq!(std::fs::read_to_string(&card).unwrap(), "# my edits\n");
    assert!(bsc(&["init", p, "--force"]).status.success());
    assert!(
        std::fs::read_to_string(&card)
            .unwrap()
            .contains("[scorecard]")
    );
}
