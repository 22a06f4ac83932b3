//! Files and streams that are not what a program expects: a full or closed
//! standard output, symlink loops and FIFOs under `validate`, `-o` on
//! devices, symlinks and existing files, runs killed while writing, and
//! hostile workbooks. Each runs the real binary.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bsc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bsc"));
    c.env("NO_COLOR", "1");
    c
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scorecards")
        .join(name)
        .display()
        .to_string()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const CARD: &str = "crm.toml";
const Q3: &str = "crm-2026-Q3.toml";

/// Every command that prints its result on standard output.
fn printing_commands() -> Vec<Vec<String>> {
    let (card, q3) = (example(CARD), example(Q3));
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        s(&["evaluate", &card, &q3]),
        s(&["evaluate", &card, &q3, "--format", "json"]),
        s(&["evaluate", &card, &q3, "--format", "csv"]),
        s(&["evaluate", &card, &q3, "--format", "jsonl"]),
        s(&["evaluate", &card, &q3, "--format", "csv-long", "--bom"]),
        s(&["evaluate", &card, &q3, "--format", "xlsx"]),
        s(&["report", &card, &q3]),
        s(&["report", &card, &q3, "--format", "md"]),
        s(&["schema"]),
        s(&["validate", &card, "--format", "json"]),
    ]
}

fn with_stdout(args: &[String], stdout: Stdio) -> Output {
    bsc()
        .args(args)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("bsc runs")
}

#[test]
fn full_stdout_is_exit_2_with_one_line() {
    for args in printing_commands() {
        let full = File::options().write(true).open("/dev/full").unwrap();
        let out = with_stdout(&args, full.into());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(
            err.lines()
                .filter(|l| l.contains("cannot write to standard output"))
                .count(),
            1,
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// `bsc ... | head -c 10`: the reader is gone before bsc writes.
fn closed_pipe(args: &[String]) -> Output {
    let mut child = bsc()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bsc runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("bsc ends")
}

#[test]
fn closed_stdout_ends_quietly() {
    for args in printing_commands() {
        let out = closed_pipe(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(text(&out.stderr), "", "{args:?}");
    }
}

fn portfolio_card() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/portfolio/card.toml")
        .display()
        .to_string()
}

/// A long-data CSV of `units` units for [`portfolio_card`].
fn big_data(dir: &Path, units: usize) -> PathBuf {
    let values = [
        ("revenue", "500"),
        ("won", "20"),
        ("leads", "200"),
        ("lost", "5"),
        ("customers", "250"),
        ("csat", "4.5"),
        ("cycle_days", "38"),
        ("training_hours", "14"),
    ];
    let mut s = String::from("period,unit,id,value\n");
    for u in 0..units {
        for (id, v) in values {
            s.push_str(&format!("2026-Q3,unit-{u:07},{id},{v}\n"));
        }
    }
    let p = dir.join("data.csv");
    fs::write(&p, s).unwrap();
    p
}

#[test]
fn portfolio_output_to_full_or_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let data = big_data(dir.path(), 1000);
    for format in ["table", "json", "jsonl", "csv", "csv-long", "xlsx"] {
        let args: Vec<String> = [
            "evaluate",
            &portfolio_card(),
            "--data",
            data.to_str().unwrap(),
            "--format",
            format,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let full = File::options().write(true).open("/dev/full").unwrap();
        let out = with_stdout(&args, full.into());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{format}: {err}");
        assert!(
            err.starts_with("error: cannot write to standard output: "),
            "{format}: {err}"
        );
        let out = closed_pipe(&args);
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert_eq!(text(&out.stderr), "", "{format}");
    }
}

/// Runs bsc, killing it if it has not ended within `secs` (a hang fails the
/// test instead of stalling the suite).
fn run_within(cmd: &mut Command, secs: u64) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bsc runs");
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed().as_secs() >= secs {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "bsc did not end within {secs} s; stderr so far:\n{}",
                text(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

/// A directory holding the CRM example, with a loop back to itself.
fn tree_with_loops(loops: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("cards");
    fs::create_dir(&sub).unwrap();
    fs::copy(example(CARD), sub.join(CARD)).unwrap();
    fs::copy(example(Q3), sub.join(Q3)).unwrap();
    for i in 0..loops {
        std::os::unix::fs::symlink("..", sub.join(format!("loop{i}"))).unwrap();
    }
    dir
}

#[test]
fn validate_does_not_follow_symlink_loops() {
    for loops in [1, 2] {
        let dir = tree_with_loops(loops);
        let out = run_within(bsc().arg("validate").arg(dir.path()), 20);
        let err = text(&out.stderr);
        assert!(!err.contains("E042"), "{loops} loops:\n{err}");
        assert_eq!(err.matches("W015").count(), loops, "{err}");
        assert!(err.contains("not followed"), "{err}");
        assert!(err.contains("2 files checked"), "{err}");
        assert_eq!(out.status.code(), Some(0), "{err}");
    }
}

#[test]
fn validate_skips_a_fifo_in_a_directory_with_a_note() {
    let dir = tree_with_loops(0);
    mkfifo(&dir.path().join("cards/pipe.toml"));
    let out = run_within(bsc().arg("validate").arg(dir.path()), 20);
    let err = text(&out.stderr);
    assert!(err.contains("W015"), "{err}");
    assert!(err.contains("pipe.toml"), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    assert!(err.contains("2 files checked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn a_fifo_named_on_the_command_line_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("q3.toml");
    mkfifo(&fifo);
    let data = dir.path().join("data.csv");
    mkfifo(&data);
    let card = example(CARD);
    let cases: Vec<Vec<&std::ffi::OsStr>> = vec![
        vec!["validate".as_ref(), fifo.as_os_str()],
        vec!["evaluate".as_ref(), card.as_ref(), fifo.as_os_str()],
        vec!["evaluate".as_ref(), fifo.as_os_str(), card.as_ref()],
        vec!["report".as_ref(), card.as_ref(), fifo.as_os_str()],
        vec![
            "evaluate".as_ref(),
            card.as_ref(),
            "--data".as_ref(),
            data.as_os_str(),
        ],
        vec![
            "validate".as_ref(),
            card.as_ref(),
            "--measurements".as_ref(),
            fifo.as_os_str(),
        ],
    ];
    for args in cases {
        let out = run_within(bsc().args(&args), 20);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("not a regular file"), "{args:?}: {err}");
    }
}

/// `bsc report` of the CRM example into `out` (under `sh` with `umask`).
fn report_to(out: &Path, umask: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_bsc"))
        .args([
            "report",
            &example(CARD),
            &example(Q3),
            "--format",
            "md",
            "-o",
        ])
        .arg(out)
        .output()
        .expect("bsc runs")
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Names in `dir` that look like bsc's temporary files.
fn temporaries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("bsc-tmp") || n.starts_with(".tmp"))
        .collect()
}

#[test]
fn output_refuses_what_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.md");
    mkfifo(&fifo);
    let link_to_fifo = dir.path().join("link.md");
    std::os::unix::fs::symlink(&fifo, &link_to_fifo).unwrap();
    let dangling = dir.path().join("dangling.md");
    std::os::unix::fs::symlink(dir.path().join("nowhere/x.md"), &dangling).unwrap();
    let subdir = dir.path().join("sub.md");
    fs::create_dir(&subdir).unwrap();
    for out in [&fifo, &link_to_fifo, &dangling, &subdir] {
        let before = fs::symlink_metadata(out).unwrap().file_type();
        let res = run_within(
            bsc()
                .args(["report", &example(CARD), &example(Q3), "-o"])
                .arg(out),
            20,
        );
        let err = text(&res.stderr);
        assert_eq!(res.status.code(), Some(2), "{}: {err}", out.display());
        assert!(err.contains("refusing to write"), "{err}");
        assert!(err.contains("not a regular file"), "{err}");
        assert_eq!(fs::symlink_metadata(out).unwrap().file_type(), before);
    }
    assert_eq!(temporaries(dir.path()), Vec::<String>::new());
}

#[test]
fn output_through_a_symlink_replaces_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.md");
    fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.md");
    std::os::unix::fs::symlink("real.md", &link).unwrap();
    let out = report_to(&link, "022");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let report = fs::read_to_string(&target).unwrap();
    assert!(report.contains("CRM"), "{report}");
}

#[test]
fn output_mode_follows_the_umask_or_the_existing_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    for (umask, want) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let new = dir.path().join(format!("new-{umask}.md"));
        let out = report_to(&new, umask);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(mode(&new), want, "umask {umask}");
    }
    for existing in [0o644, 0o600, 0o640] {
        let p = dir.path().join(format!("existing-{existing:o}.md"));
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(existing)).unwrap();
        let out = report_to(&p, "077");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(mode(&p), existing);
        assert_ne!(fs::read_to_string(&p).unwrap(), "old");
    }
}

#[test]
fn stale_temporary_files_are_removed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.md");
    // No process has this id (above Linux's largest pid_max).
    let stale = dir.path().join(".report.md.bsc-tmp-99999999");
    // This test's own process is alive: its file may still be written.
    let live = dir
        .path()
        .join(format!(".report.md.bsc-tmp-{}", std::process::id()));
    let other = dir.path().join(".other.md.bsc-tmp-99999999");
    for p in [&stale, &live, &other] {
        fs::write(p, "half a report").unwrap();
    }
    let res = report_to(&out, "022");
    assert!(res.status.success(), "{}", text(&res.stderr));
    assert!(!stale.exists());
    assert!(live.exists());
    assert!(
        other.exists(),
        "only the output's own temporaries are touched"
    );
}

/// Starts `bsc report --data` of `units` units into `out`, and sends
/// SIGTERM as soon as its temporary file shows up. `None` when the run
/// wrote its report first; either way no temporary file is left.
fn terminate_while_writing(dir: &Path, units: usize) -> Option<Output> {
    use std::os::unix::process::ExitStatusExt;
    let data = big_data(dir, units);
    let out = dir.join("portfolio.html");
    let mut child = bsc()
        .args(["report", &portfolio_card(), "--data"])
        .arg(&data)
        .arg("-o")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bsc runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() || std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let _ = fs::remove_file(&out);
            return None;
        }
        if !temporaries(dir).is_empty() {
            break;
        }
    }
    // SAFETY: signals the child, whose id we hold and have not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let res = child.wait_with_output().unwrap();
    assert_eq!(temporaries(dir), Vec::<String>::new());
    if out.exists() {
        // The rename came first: the report is whole, nothing to clean.
        fs::remove_file(&out).unwrap();
        return None;
    }
    assert_eq!(res.status.signal(), Some(15), "{}", text(&res.stderr));
    Some(res)
}

#[test]
fn sigterm_during_output_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    // The temporary file lives from its creation to the rename after
    // fsync: larger outputs until one kill lands inside that window.
    let caught = [2_000, 8_000, 20_000]
        .into_iter()
        .find_map(|units| terminate_while_writing(dir.path(), units));
    assert!(
        caught.is_some(),
        "never caught the run with its temporary file"
    );
}

/// A workbook with a header and one row of data on sheet `Q3 data`, saved
/// to bytes; `stray` adds a cell there.
fn small_workbook(stray: Option<(u32, u16)>) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Q3 data").unwrap();
    for (c, h) in ["period", "unit", "id", "value"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["2026-Q3", "East", "revenue"].iter().enumerate() {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    ws.write_number(1, 3, 500.0).unwrap();
    if let Some((r, c)) = stray {
        ws.write_string(r, c, "x").unwrap();
    }
    wb.save_to_buffer().unwrap()
}

fn evaluate_workbook(path: &Path) -> Output {
    run_within(
        bsc()
            .args(["evaluate", &portfolio_card(), "--data"])
            .arg(path),
        60,
    )
}

#[test]
fn a_cell_at_xfd1048576_is_refused_naming_the_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("far.xlsx");
    fs::write(&path, small_workbook(Some((1_048_575, 16_383)))).unwrap();
    assert!(fs::metadata(&path).unwrap().len() < 10_000);
    let out = evaluate_workbook(&path);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("E080"), "{err}");
    assert!(err.contains("sheet `Q3 data` spans A1:XFD1048576"), "{err}");
    // The same sheet without the stray cell reads.
    fs::write(&path, small_workbook(None)).unwrap();
    let out = evaluate_workbook(&path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_workbook_inflating_to_blanks_is_refused() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let plain = small_workbook(None);
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(plain)).unwrap();
    let mut zout = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..zin.len() {
        let mut part = zin.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut xml = String::new();
        part.read_to_string(&mut xml).unwrap();
        zout.start_file(name.as_str(), opts).unwrap();
        match xml.split_once("<sheetData>") {
            // 70 MiB of blanks between the rows (the limit is 64 MiB at
            // such a ratio): about 70 kB deflated.
            Some((head, tail)) if name.starts_with("xl/worksheets/") => {
                zout.write_all(head.as_bytes()).unwrap();
                zout.write_all(b"<sheetData>").unwrap();
                let blanks = vec![b' '; 1 << 20];
                for _ in 0..70 {
                    zout.write_all(&blanks).unwrap();
                }
                zout.write_all(tail.as_bytes()).unwrap();
            }
            _ => zout.write_all(xml.as_bytes()).unwrap(),
        }
    }
    let bytes = zout.finish().unwrap().into_inner();
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    let path = dir.path().join("blanks.xlsx");
    fs::write(&path, bytes).unwrap();
    let out = evaluate_workbook(&path);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("E081"), "{err}");
    assert!(
        err.contains("sheet `Q3 data` (stored as `xl/worksheets/sheet1.xml`)"),
        "{err}"
    );
}

/// `small_workbook` with its sheet's XML passed through `edit`.
fn edited_workbook(edit: impl Fn(&str) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(small_workbook(None))).unwrap();
    let mut zout = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..zin.len() {
        let mut part = zin.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut xml = String::new();
        part.read_to_string(&mut xml).unwrap();
        zout.start_file(name.as_str(), opts).unwrap();
        let xml = if name.starts_with("xl/worksheets/") {
            edit(&xml)
        } else {
            xml
        };
        zout.write_all(xml.as_bytes()).unwrap();
    }
    zout.finish().unwrap().into_inner()
}

/// Found by the `xlsx` fuzz target: a sheet whose `<dimension ref>` (or a
/// cell's `r`) has more column letters than XFD made the workbook reader
/// add them up past 32 bits: a panic in debug builds, a value read into
/// some other cell in release. Refused before the reader sees it.
#[test]
fn a_cell_reference_beyond_xfd_is_refused_not_wrapped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refs.xlsx");
    for (what, edit) in [
        (
            "dimension",
            Box::new(|x: &str| {
                let start = x.find("<dimension ref=\"").unwrap() + 16;
                let end = start + x[start..].find('"').unwrap();
                format!("{}Aandalone=:B2{}", &x[..start], &x[end..])
            }) as Box<dyn Fn(&str) -> String>,
        ),
        (
            "cell",
            Box::new(|x: &str| x.replacen(" r=\"D2\"", " r=\"AAAAAAAAD2\"", 1)),
        ),
        (
            "row",
            Box::new(|x: &str| x.replacen(" r=\"D2\"", " r=\"D99999999999\"", 1)),
        ),
        // Also from the fuzzer: 58 letters, an `=`, more letters, a row.
        (
            "mixed",
            Box::new(|x: &str| {
                let long = format!(" r=\"C{}ing={}1\"", "O".repeat(57), "O".repeat(50));
                x.replacen(" r=\"D2\"", &long, 1)
            }),
        ),
        // Also from the fuzzer: no space before the attribute; and single
        // quotes with spaces around `=`, which XML allows too.
        (
            "unspaced",
            Box::new(|x: &str| x.replacen(" r=\"D2\"", " t=\"n\"r=\"C6666666666666666\"", 1)),
        ),
        (
            "quoted",
            Box::new(|x: &str| x.replacen(" r=\"D2\"", " r = 'D99999999999'", 1)),
        ),
        // Also from the fuzzer: a dimension that ends before it starts.
        (
            "reversed",
            Box::new(|x: &str| {
                x.replacen("<dimension ref=\"A1:D2\"", "<dimension ref=\"A9:E7\"", 1)
            }),
        ),
    ] {
        let bytes = edited_workbook(edit);
        fs::write(&path, &bytes).unwrap();
        let out = evaluate_workbook(&path);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        assert!(
            err.contains("E080") && err.contains("sheet `Q3 data` refers to cell"),
            "{what}: {err}"
        );
    }
    // References of the largest sheet there is still read.
    let bytes = edited_workbook(|x| {
        x.replacen(
            "<dimension ref=\"A1:D2\"",
            "<dimension ref=\"A1:XFD1048576\"",
            1,
        )
    });
    fs::write(&path, bytes).unwrap();
    let out = evaluate_workbook(&path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// Found by the `xlsx` fuzz target: shared strings declaring 20 billion
/// strings made the workbook reader reserve 480 GB and abort. Refused
/// (E081) from the part's size; a true count still reads.
#[test]
fn a_shared_string_count_the_part_cannot_hold_is_refused() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("count.xlsx");
    let with_count = |count: &str| {
        let mut zin = zip::ZipArchive::new(std::io::Cursor::new(small_workbook(None))).unwrap();
        let mut zout = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for i in 0..zin.len() {
            let mut part = zin.by_index(i).unwrap();
            let name = part.name().unwrap().to_string();
            let mut xml = String::new();
            part.read_to_string(&mut xml).unwrap();
            zout.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            if name.ends_with("sharedStrings.xml") {
                let start = xml.find("uniqueCount=\"").unwrap() + 13;
                let end = start + xml[start..].find('"').unwrap();
                xml = format!("{}{count}{}", &xml[..start], &xml[end..]);
            }
            zout.write_all(xml.as_bytes()).unwrap();
        }
        zout.finish().unwrap().into_inner()
    };
    fs::write(&path, with_count("20000000000")).unwrap();
    let out = evaluate_workbook(&path);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("E081") && err.contains("declares 20000000000 strings"),
        "{err}"
    );
    fs::write(&path, with_count("7")).unwrap();
    let out = evaluate_workbook(&path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn diagnostics_to_a_full_stderr_keep_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    fs::write(&bad, "[scorecard]\nid = 3\n").unwrap();
    let full = || File::options().write(true).open("/dev/full").unwrap();
    let out = bsc()
        .arg("validate")
        .arg(&bad)
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = bsc()
        .args(["evaluate", &example(CARD), &example(Q3)])
        .stdout(full())
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A walk honours `.gitignore` files, in a git repository or not: the
/// one of the walked directory, one below it, and one above it.
#[test]
fn validate_walks_honour_gitignore_files() {
    let dir = tree_with_loops(0);
    let root = dir.path();
    let broken = "[scorecard]\nid = \"broken\"\nname = 1\n";
    fs::create_dir_all(root.join("cards/drafts")).unwrap();
    fs::write(root.join("cards/drafts/a.toml"), broken).unwrap();
    fs::write(root.join("cards/old.toml"), broken).unwrap();
    fs::write(root.join("cards/scratch.toml"), broken).unwrap();
    fs::write(root.join(".gitignore"), "drafts/\n").unwrap();
    fs::write(root.join("cards/.gitignore"), "old.toml\n").unwrap();
    // Broken files make the run fail until every one is ignored.
    let run = |path: &Path| {
        let out = run_within(bsc().arg("validate").arg(path), 20);
        (out.status.code(), text(&out.stderr))
    };
    let (code, err) = run(root);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("scratch.toml") && !err.contains("old.toml") && !err.contains("drafts"),
        "{err}"
    );
    fs::write(root.join("cards/.gitignore"), "old.toml\nscratch.toml\n").unwrap();
    let (code, err) = run(root);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("2 files checked"), "{err}");
    // Walking the subdirectory: the parent's rule still drops drafts/.
    let (code, err) = run(&root.join("cards"));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("2 files checked"), "{err}");
}
