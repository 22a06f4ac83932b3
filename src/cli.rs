//! Command-line interface: argument definitions and dispatch. Each
//! subcommand lives in `commands/` as one short function; exit codes are
//! decided here (SPEC §9).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::commands;

#[derive(Parser, Debug)]
#[command(
    name = "bsc",
    version,
    about = "Balanced-scorecard evaluation engine",
    after_help = "Documentation: README.md and docs/ in the source repository (docs/cli.md: commands and flags; docs/format.md: the scorecard format; docs/json.md: JSON output; docs/codes.md or `bsc explain-code CODE`: diagnostics).",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check scorecards and measurements files; exit 1 on any error.
    Validate(ValidateArgs),
    /// Score a period's measurements against a scorecard.
    Evaluate(EvaluateArgs),
    /// Render a management report (HTML or Markdown).
    Report(ReportArgs),
    /// Why the composite is what it is: each indicator's share of it and of
    /// its change, and how far each weight can move before the status does.
    Explain(ExplainArgs),
    /// Write a blank measurements file for a period (TOML, CSV or xlsx):
    /// every value the card needs, with its name and unit, to fill in.
    Template(TemplateArgs),
    /// Print the JSON Schema of the scorecard format (or, with
    /// --measurements, of measurements files; with --output, of `bsc
    /// evaluate --format json`), for editors and CI.
    Schema(SchemaArgs),
    /// Write a starter scorecard and a measurements file that validate clean.
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish or PowerShell).
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `bsc man > bsc.1`.
    Man,
    /// Explain a diagnostic code: what triggers it and how to fix it.
    ExplainCode(ExplainCodeArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExplainFormat {
    /// Tables for the terminal.
    Table,
    /// JSON (docs/json.md, "bsc explain").
    Json,
}

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ExplainFormat,
    /// How many contributions to the change to list each way.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
}

#[derive(clap::Args, Debug)]
pub struct ExplainCodeArgs {
    /// A code such as E012 or W003, as printed in a diagnostic.
    pub code: String,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: CompletionShell,
}

#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// The schema of measurements files (`[values]`, `[notes]`,
    /// `[targets]`, `[baselines]`) instead of scorecards.
    #[arg(long)]
    pub measurements: bool,
    /// The schema of the JSON output of `bsc evaluate --format json`: one
    /// evaluation (each element of the `--data` array, each `jsonl` line).
    #[arg(long, conflicts_with = "measurements")]
    pub output: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiagFormat {
    /// rustc-style, with the source line and a caret (on stderr).
    Human,
    /// A JSON array, one object per diagnostic.
    Json,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// A SARIF 2.1.0 log (code scanning, editors).
    Sarif,
    /// JUnit XML: a test case per file, a failure per error (CI test reports).
    Junit,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it.
    #[default]
    Auto,
    Always,
    Never,
}

/// `--color`, for the commands that print diagnostics or tables.
#[derive(clap::Args, Debug)]
pub struct ColorArgs {
    /// When to colour diagnostics and tables.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Files, or directories searched recursively for `*.toml`; `-` is
    /// standard input (TOML).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Measurements files (TOML or CSV) to check against the one scorecard given.
    #[arg(long, num_args = 1..)]
    pub measurements: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiagFormat,
    /// Treat warnings as errors (exit 1).
    #[arg(long)]
    pub deny_warnings: bool,
    /// Drop the warnings of this code (repeatable; errors cannot be allowed).
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,
    /// Make the warnings of this code errors (repeatable).
    #[arg(long, value_name = "CODE")]
    pub deny: Vec<String>,
    /// Skip paths matching this glob in directory walks (gitignore syntax,
    /// relative to the directory walked; repeatable), e.g. `--exclude 'drafts/'`.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    #[command(flatten)]
    pub color: ColorArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalFormat {
    /// Terminal table (with --data: a ranking of units).
    Table,
    /// JSON, key by key in docs/json.md (with --data: an array, one object per unit, in input order).
    Json,
    /// One JSON object (docs/json.md) per line (streamed with --data when rows are grouped by unit).
    Jsonl,
    /// `rank,unit,composite,status,coverage,<perspective ids>`, one row per unit.
    Csv,
    /// One row per unit × node (composite, perspectives, objectives,
    /// indicators) for BI tools (docs/data.md, "Exports for spreadsheets and BI").
    CsvLong,
    /// A workbook: sheets Summary (the csv ranking), Units and Indicators;
    /// binary: to standard output only when that is not a terminal, else use -o.
    Xlsx,
}

/// What `evaluate` and `report` read: a scorecard with measurements files,
/// or with one long-format data file of many units and periods.
#[derive(clap::Args, Debug)]
pub struct Inputs {
    /// The scorecard file (`-`: standard input).
    pub scorecard: PathBuf,
    /// Measurements files (TOML or CSV), in any order: they are ordered by
    /// period, the latest is evaluated and the one before it gives trends
    /// (`-`: one TOML file from standard input).
    #[arg(required_unless_present = "data", conflicts_with = "data")]
    pub measurements: Vec<PathBuf>,
    /// Long-format data of many units and periods: CSV with header
    /// `period,unit,id,value` (optional `note`, `target`, `baseline`), or a workbook (.xlsx) with
    /// that layout, or a sheet per period with `unit,id,value`.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Period to evaluate (default: the latest). With --data: a period of
    /// the data; otherwise a period of the files given, which also labels
    /// CSV files whose names hold no period.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub period: Option<String>,
    /// Roll up the periods from this one (default: the first) to --to,
    /// combining values and targets by each indicator's `aggregate`; the
    /// periods of --data, or of the measurements files given.
    #[arg(long, value_name = "PERIOD")]
    pub from: Option<String>,
    /// Roll up to this period (default: the latest).
    #[arg(long, value_name = "PERIOD")]
    pub to: Option<String>,
    /// What the changes and trends compare with: the previous period, or
    /// the same period a year earlier (`2026-Q3` with `2025-Q3`).
    #[arg(long, value_enum, default_value = "previous")]
    pub compare: Compare,
    /// Treat warnings as errors (exit 1, nothing written): with
    /// `require_note` in the card, CI fails on a red indicator that no
    /// note or active initiative explains.
    #[arg(long)]
    pub deny_warnings: bool,
}

impl Inputs {
    /// `--period` / `--from` / `--to` as a portfolio selection.
    pub fn selection(&self) -> crate::portfolio::Selection {
        use crate::portfolio::Selection;
        match (&self.period, &self.from, &self.to) {
            (Some(p), _, _) => Selection::Period(p.clone()),
            (None, None, None) => Selection::Latest,
            (None, from, to) => Selection::Span {
                from: from.clone(),
                to: to.clone(),
            },
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// The period (or span) just before.
    Previous,
    /// The same period (or span) one year earlier, for seasonal businesses.
    YearAgo,
}

#[derive(clap::Args, Debug)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format; default: from `-o`'s extension (`.txt` table,
    /// `.json`, `.jsonl`, `.csv` the ranking, `.xlsx`), else table.
    #[arg(long, value_enum)]
    pub format: Option<EvalFormat>,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Round scores to N decimals (half away from zero) in csv and
    /// csv-long output; with xlsx, the decimals scores show (the cells keep
    /// every digit). Default: full precision (xlsx: the card's precision).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=28))]
    pub decimals: Option<u32>,
    /// Start csv and csv-long output with a UTF-8 byte order mark, so
    /// that Excel on Windows reads non-ASCII names (Chinese) correctly.
    #[arg(long)]
    pub bom: bool,
    /// Extra columns of the terminal table, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "COLUMNS")]
    pub columns: Vec<crate::table::Column>,
    #[command(flatten)]
    pub color: ColorArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Html,
    Md,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// With --data: the full report of this one unit.
    #[arg(long, requires = "data", value_name = "NAME")]
    pub unit: Option<String>,
    /// Report format; default: from `-o`'s extension (`.md` is Markdown),
    /// else HTML.
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Directory of templates overriding the built-in ones file by file.
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Language of the report's labels.
    #[arg(long, value_enum, default_value = "en")]
    pub lang: Lang,
    /// Add the generation time (UTC) to the footer; off by default so the
    /// same inputs give byte-identical reports.
    #[arg(long)]
    pub timestamp: bool,
    #[command(flatten)]
    pub color: ColorArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    Crm,
    Corporate,
    /// A sales team's appraisal: step and binary scoring, own thresholds.
    Appraisal,
}

/// `bsc template --format` (not to be confused with [`Template`], the
/// starter cards of `bsc init`).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateFormat {
    /// TOML: a blank `id = ""` per value under a comment with its name and unit.
    Toml,
    /// CSV `id,name,unit,value,note` (name and unit are ignored when read back).
    Csv,
    /// An Excel workbook for people to fill in (saved as CSV, it reads back).
    Xlsx,
}

#[derive(clap::Args, Debug)]
pub struct TemplateArgs {
    /// The scorecard file (`-`: standard input).
    pub scorecard: PathBuf,
    /// The period the file is for: 2026-Q3, 2026-H2, 2026-07, 2026, or a
    /// label of your own that does not start with a year (FY26).
    #[arg(long, value_name = "PERIOD")]
    pub period: String,
    /// File format; default: from `-o`'s extension (`.csv`, `.xlsx`), else TOML.
    #[arg(long, value_enum)]
    pub format: Option<TemplateFormat>,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite the `-o` file if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// Directory to write the starter files into (created if missing).
    pub path: PathBuf,
    #[arg(long, value_enum, default_value = "crm")]
    pub template: Template,
    #[arg(long, value_enum, default_value = "en")]
    pub lang: Lang,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

/// Outcome of a command, mapped to SPEC §9 exit codes.
pub enum Exit {
    Ok,
    /// Invalid input (diagnostics already printed).
    Invalid,
    /// Usage or I/O error, with the message to print.
    Usage(String),
    /// Standard output could not be written.
    Output(std::io::Error),
}

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    commands::set_color(match &cli.command {
        Command::Validate(a) => a.color.color,
        Command::Evaluate(a) => a.color.color,
        Command::Report(a) => a.color.color,
        _ => ColorChoice::Auto,
    });
    let exit = match cli.command {
        Command::Validate(a) => commands::validate::run(&a),
        Command::Evaluate(a) => commands::evaluate::run(&a),
        Command::Report(a) => commands::report::run(&a),
        Command::Schema(a) => commands::schema::run(&a),
        Command::Init(a) => commands::init::run(&a),
        Command::Completions(a) => commands::completions::run(&a),
        Command::Man => commands::man::run(),
        Command::ExplainCode(a) => commands::explain_code::run(&a),
        Command::Explain(a) => commands::explain::run(&a),
        Command::Template(a) => commands::template::run(&a),
    };
    match exit {
        Exit::Ok => 0,
        Exit::Invalid => 1,
        Exit::Usage(msg) => {
            eprintln!("error: {msg}");
            2
        }
        // `bsc ... | head`: the reader has all it wanted.
        Exit::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Exit::Output(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            2
        }
    }
}
