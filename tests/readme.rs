//! What the README promises about itself: links stay inside the
//! repository, the Rust version it states is the one Cargo.toml declares
//! and no locked dependency needs a newer one, and the install and quick
//! start commands are there.

use std::path::Path;
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string("README.md").expect("README.md")
}

fn rust_version() -> String {
    let toml = std::fs::read_to_string("Cargo.toml").expect("Cargo.toml");
    let line = toml
        .lines()
        .find(|l| l.starts_with("rust-version"))
        .expect("rust-version in Cargo.toml");
    line.split('"').nth(1).expect("quoted version").to_string()
}

/// `1.88` and `1.88.0` alike, as (major, minor, patch).
fn version(v: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = v
        .split('.')
        .map(|p| p.parse().expect("numeric version"))
        .collect();
    parts.resize(3, 0);
    parts
}

/// Markdown links of `text` outside fenced code (where example notes may
/// hold any link).
fn links(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        for (i, _) in line.match_indices("](") {
            let rest = &line[i + 2..];
            if let Some(end) = rest.find(')') {
                out.push(rest[..end].to_string());
            }
        }
    }
    out
}

/// The documentation pages link only to files of the repository, each of
/// which exists (the project owns its documentation: SPEC and other
/// outside texts are never linked).
#[test]
fn docs_links_stay_inside_the_repository_and_resolve() {
    let mut pages = 0;
    for entry in std::fs::read_dir("docs").expect("docs/") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        pages += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        for target in links(&text) {
            assert!(
                !target.contains("://")
                    && !target.starts_with("mailto:")
                    && !target.starts_with('/'),
                "{} links outside the repository: {target}",
                path.display()
            );
            let file = target.split('#').next().unwrap_or_default();
            if file.is_empty() {
                continue;
            }
            let resolved = Path::new("docs").join(file);
            assert!(
                resolved.exists(),
                "{} links to a missing file: {target}",
                path.display()
            );
            let canonical = resolved.canonicalize().unwrap();
            let root = Path::new(".").canonicalize().unwrap();
            assert!(
                canonical.starts_with(&root),
                "{} links above the repository: {target}",
                path.display()
            );
        }
        assert!(
            !text.contains("SPEC.md"),
            "{} points at the spec outside the repository",
            path.display()
        );
    }
    assert!(pages >= 10, "only {pages} pages in docs/");
    assert!(!readme().contains("SPEC.md"));
}

#[test]
fn links_stay_inside_the_repository_and_resolve() {
    let text = readme();
    let mut n = 0;
    for (i, _) in text.match_indices("](") {
        let rest = &text[i + 2..];
        let target = &rest[..rest.find(')').expect("closed link")];
        n += 1;
        assert!(
            !target.contains("://") && !target.starts_with("mailto:") && !target.starts_with('/'),
            "README links outside the repository: {target}"
        );
        assert!(
            !target.starts_with(".."),
            "README links above the repository: {target}"
        );
        let path = target.split('#').next().unwrap_or_default();
        if !path.is_empty() {
            assert!(
                Path::new(path).exists(),
                "README links to a missing file: {target}"
            );
        }
    }
    assert!(n > 3, "only {n} links found");
}

#[test]
fn the_stated_rust_version_is_the_declared_one() {
    let v = rust_version();
    assert!(
        readme().contains(&format!("Rust {v} or newer")),
        "README does not say `Rust {v} or newer`"
    );
}

#[test]
fn no_locked_dependency_needs_a_newer_rust() {
    let ours = version(&rust_version());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let mut checked = 0;
    for p in meta["packages"].as_array().expect("packages") {
        if let Some(v) = p["rust_version"].as_str() {
            checked += 1;
            assert!(
                version(v) <= ours,
                "{} {} needs Rust {v}, newer than the declared {}",
                p["name"],
                p["version"],
                rust_version()
            );
        }
    }
    assert!(
        checked > 10,
        "only {checked} packages declare a rust-version"
    );
}

#[test]
fn install_and_quick_start_commands_are_there() {
    let text = readme();
    for cmd in [
        "cargo install --locked --path .",
        "cargo install --locked --git",
        "cargo run --release -- report scorecards/crm.toml scorecards/crm-20*.toml -o report.html",
        "cargo test\n",
    ] {
        assert!(text.contains(cmd), "README lacks `{}`", cmd.trim());
    }
    let install = text.find("## Install").expect("an Install section");
    let quick = text.find("## Quick start").expect("a Quick start section");
    assert!(install < quick);
    assert!(
        !text[install..quick].contains('<'),
        "the Install section has a placeholder"
    );
}
