//! Portfolio evaluation: one scorecard over many business units and
//! periods, from one long-format data file (CSV `period,unit,id,value`, or
//! a workbook). Every unit is scored for the chosen period, or for a
//! roll-up of several periods, with the span before it for trends.
//!
//! Large CSV files are streamed, never held whole: a cheap first pass lists
//! the periods, tells whether each unit's rows are together, and finds
//! where to split the file at unit boundaries. If units are grouped, each
//! part is read on its own core and units are scored as soon as their rows
//! end, so memory stays flat however many units follow; `jsonl` output
//! streams in file order (a reader thread parses while the scorers work).
//! A file grouped by period, each period's rows grouped by unit, is read a
//! period (or part of one) per core, all at once, and a unit is scored
//! once every period has been read for it (`read_periods`). Otherwise only
//! the values of the needed periods are kept (compactly, by position)
//! until the file ends.
//!
//! The usual large file, grouped by unit, skips the first pass: the periods
//! of its first and last rows are taken for all of them and the file is
//! cut where units begin ([`long_csv::guess`]); reading checks the guess row by
//! row, and where it fails the run starts over with the first pass. Output order is deterministic either way:
//! units in the order of their first row, rankings by composite then name.

pub mod output;

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::diag::Diagnostic;
use crate::model::Scorecard;
use crate::score::{self, MissingData};
use crate::source::SourceFile;

pub use crate::data::period::{Plan, Selection};
use crate::data::rows::{self, At, Collector, Errors};
use crate::data::{UnitBlock, long_csv, workbook};
use crate::evaluator::Evaluator;
use crate::export::json::Frames;
use output::Summary;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A ranking of units as an aligned table.
    Table,
    /// A JSON array of SPEC §8 objects, one per unit, in input order.
    Json,
    /// One SPEC §8 object per line, in input order, streamed when the
    /// data is grouped by unit.
    Jsonl,
    /// One row per unit, in ranking order.
    Csv,
    /// One row per unit × node (`export::csv_long`), units in input order.
    CsvLong,
}

pub struct Options {
    pub selection: Selection,
    pub format: Format,
    /// Show a progress bar on stderr (only ever drawn on a terminal).
    pub progress: bool,
    /// Colour the table's statuses.
    pub color: bool,
    /// With [`Format::Json`]: keep every unit's evaluation in
    /// [`Done::evaluations`] (for reports) instead of writing them.
    pub keep: bool,
    /// Compare with the same span a year earlier (`--compare year-ago`)
    /// instead of the one just before.
    pub year_ago: bool,
    /// Round scores to this many decimals in CSV and csv-long output
    /// (`--decimals`); full precision when `None`.
    pub decimals: Option<u32>,
}

/// One unit's evaluation, kept for a report.
#[derive(Debug, Clone)]
pub struct UnitEvaluation {
    pub evaluation: score::Evaluation,
    /// Composite of the previous span, when the run has one.
    pub previous_composite: Option<Option<rust_decimal::Decimal>>,
    /// Notes of the data's `note` column by id (the latest in a roll-up).
    pub notes: std::collections::HashMap<String, String>,
}

/// Why a run produced no (complete) output.
#[derive(Debug)]
pub enum Failure {
    /// Usage or I/O error (exit 2).
    Usage(String),
    /// Problems in the data file (exit 1): the first [`Errors::KEEP`] as
    /// diagnostics, and how many more there were.
    Invalid {
        diagnostics: Vec<Diagnostic>,
        more: usize,
    },
    /// `missing = "error"` and units without every score (exit 1).
    Missing {
        units: Vec<(String, MissingData)>,
        more: usize,
    },
}

/// What a successful run did, for the command's closing notes.
#[derive(Debug)]
pub struct Done {
    pub plan: Plan,
    /// Units evaluated.
    pub units: usize,
    /// Units with rows only in other periods (not evaluated): some names, and the count.
    pub skipped: Vec<String>,
    pub skipped_total: usize,
    /// Whether units were scored while the file was still being read.
    pub streamed: bool,
    /// Whether the file was read once, on a guess at its periods that held
    /// (no first pass; see [`long_csv::guess`]).
    pub one_pass: bool,
    /// With [`Options::keep`]: every unit's evaluation, in input order.
    pub evaluations: Vec<UnitEvaluation>,
}

/// Units per batch handed from the reader to the scorers.
const BATCH: usize = 128;

/// Evaluates every unit of a data file and writes the result to `out`.
pub fn evaluate(
    card: &Scorecard,
    path: &Path,
    opts: &Options,
    out: &mut dyn Write,
) -> Result<Done, Failure> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let io_fail = cannot_read(path);
    crate::load::regular_file(path).map_err(io_fail)?;
    match ext.as_str() {
        "csv" => evaluate_csv(card, path, opts, out),
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => {
            let book = match workbook::open(path).map_err(io_fail)? {
                Ok(b) => b,
                Err(errs) => {
                    return Err(invalid(
                        path,
                        errs.into_iter().collect(),
                        Source::Workbook(None),
                    ));
                }
            };
            let plan = plan(card, book.periods(), &opts.selection, opts.year_ago, path)?;
            let mut collector = collector(card, &plan, false);
            book.read(&mut collector);
            let (blocks, errors) = collector.finish();
            if !errors.is_empty() {
                return Err(invalid(path, errors, Source::Workbook(Some(&book))));
            }
            let progress = Progress::new(opts.progress);
            finish_buffered(card, &plan, opts, blocks, out, &progress)
        }
        _ => Err(Failure::Usage(format!(
            "`{}`: data files must be .csv (`period,unit,id,value`) or a workbook (.xlsx, .xlsm, .xlsb, .xls, .ods)",
            path.display()
        ))),
    }
}

/// A failure to read `path`, as the user is told it.
fn cannot_read(path: &Path) -> impl Fn(io::Error) -> Failure + Copy + '_ {
    move |e| Failure::Usage(format!("cannot read `{}`: {e}", path.display()))
}

/// A collector for the periods of a run's plan.
fn collector<'a>(card: &'a Scorecard, plan: &Plan, grouped: bool) -> Collector<'a> {
    Collector::new(
        card,
        &plan.periods,
        plan.needed(),
        plan.current.clone(),
        grouped,
    )
}

/// The run's plan over the data's `periods`, keeping the spans `card`'s
/// formulas read (`lag`).
fn plan(
    card: &Scorecard,
    periods: Vec<String>,
    sel: &Selection,
    year_ago: bool,
    path: &Path,
) -> Result<Plan, Failure> {
    if periods.is_empty() {
        let e = rows::DataError {
            at: At::File,
            code: "E036",
            message: "the file has no data rows".into(),
            label: "no rows".into(),
            hint: Some("add one row per unit, period and id under the header".into()),
            duplicate: None,
        };
        let errors = Errors {
            items: vec![e],
            total: 1,
        };
        return Err(invalid(path, errors, Source::Workbook(None)));
    }
    run_plan(card, periods, sel, year_ago)
        .map_err(|m| Failure::Usage(format!("{}: {m}", path.display())))
}

/// The plan of a selection over `periods`, keeping the spans the card's
/// formulas read, compared with the span a year earlier when asked.
fn run_plan(
    card: &Scorecard,
    periods: Vec<String>,
    sel: &Selection,
    year_ago: bool,
) -> Result<Plan, String> {
    let plan = Plan::new(periods, sel)?.looking_back(card.max_lag);
    if !year_ago {
        return Ok(plan);
    }
    if card.max_lag > 0 {
        // The span compared with is also the one `prev` reads: a year
        // earlier it would not be the period before.
        return Err("--compare year-ago with --data needs a card whose formulas do not look back (prev, lag); give measurements files instead, which compare with any period".into());
    }
    plan.compare_year_ago()
}

/// Parts per core a file is read in. Parts that are left, not those still
/// running, balance the cores at the end: a core that finishes early takes
/// another, and the last to end runs over by about a part's time.
const PARTS: usize = 16;

/// [`evaluate`] for a CSV file whatever its name (the fuzz targets read
/// from an in-memory file, whose path has no extension).
pub fn evaluate_csv(
    card: &Scorecard,
    path: &Path,
    opts: &Options,
    out: &mut dyn Write,
) -> Result<Done, Failure> {
    let io_fail = cannot_read(path);
    let header = match long_csv::header(path).map_err(io_fail)? {
        Ok(x) => x,
        Err(errs) => return Err(invalid(path, errs.into_iter().collect(), Source::Csv(None))),
    };
    let layout = &header.layout;
    let threads = rayon::current_num_threads();
    // A large file is read once: on a guess at the periods that reading
    // checks (a first pass costs a tenth of the run). A wrong guess costs
    // the reading done so far, and the first pass follows. A file that
    // looks grouped by unit is read as such; one grouped by period (found
    // out within a few units) or shuffled, in stretches that are joined.
    // (JSON Lines streams on one reader thread: it takes the first pass.)
    if opts.format != Format::Jsonl
        && let Some(guess) = long_csv::guess(path, &header, PARTS * threads).map_err(io_fail)?
        && let Ok(plan) = run_plan(card, guess.periods, &opts.selection, opts.year_ago)
    {
        let progress = Progress::new(opts.progress);
        let r = Reading {
            card,
            path,
            header: &header,
            plan: &plan,
            opts,
            progress: &progress,
        };
        // A guess has parts, the last ending at the end of the file.
        let end = guess.parts.last().map_or(header.start, |p| p.end);
        progress.bytes(end - header.start);
        if guess.grouped {
            let mut done = read_grouped(r, &guess.parts, true, out)?;
            // Grouped by unit at each end but not throughout: perhaps
            // grouped by period.
            if done.is_none() {
                progress.clear();
                progress.bytes(end - header.start);
                done = read_periods(r, &guess.parts, out)?;
            }
            if let Some(done) = done {
                return Ok(Done {
                    one_pass: true,
                    ..done
                });
            }
            progress.clear();
            progress.bytes(end - header.start);
        }
        if let Some(blocks) = read_interleaved(r, &guess.parts, true).map_err(io_fail)? {
            let done = finish_buffered(card, &plan, opts, blocks, out, &progress)?;
            return Ok(Done {
                one_pass: true,
                ..done
            });
        }
        progress.clear();
    }
    let scan = long_csv::scan(path, &header, PARTS * threads).map_err(io_fail)?;
    let whole = long_csv::Part {
        start: header.start,
        end: scan.parts.last().map_or(header.start, |p| p.end),
        line: header.line,
    };
    if scan.periods.is_empty() {
        // Rows without a period (or none at all): report what is wrong with them.
        let mut c = Collector::new(card, &[], 0..0, 0..0, false);
        long_csv::read(path, layout, whole, &mut c, &mut |_, _: bool| {}, &|_| {})
            .map_err(io_fail)?;
        let (_, errors) = c.finish();
        if !errors.is_empty() {
            return Err(invalid(path, errors, Source::Csv(Some(layout))));
        }
    }
    let plan = plan(
        card,
        scan.periods.clone(),
        &opts.selection,
        opts.year_ago,
        path,
    )?;
    let progress = Progress::new(opts.progress);
    progress.bytes(whole.end - whole.start);
    let r = Reading {
        card,
        path,
        header: &header,
        plan: &plan,
        opts,
        progress: &progress,
    };

    if !scan.grouped {
        if let Some(done) = read_periods(r, &scan.parts, out)? {
            return Ok(done);
        }
        // Units interleave: keep the needed values of every unit to the end,
        // read on every core where the file could be cut.
        if let Some(blocks) = read_interleaved(r, &scan.parts, false).map_err(io_fail)? {
            return finish_buffered(card, &plan, opts, blocks, out, &progress);
        }
        // A problem in the data: read again on one core, which reports it
        // as it always has (the same lines, the same order).
        progress.clear();
        progress.bytes(whole.end - whole.start);
        let mut c = collector(card, &plan, false);
        long_csv::read(path, layout, whole, &mut c, &mut |_, _: bool| {}, &|b| {
            progress.add(b)
        })
        .map_err(io_fail)?;
        let (blocks, errors) = c.finish();
        if !errors.is_empty() {
            progress.clear();
            return Err(invalid(path, errors, Source::Csv(Some(layout))));
        }
        return finish_buffered(card, &plan, opts, blocks, out, &progress);
    }

    let scorer = Scorer::new(card, &plan, opts);
    if opts.format == Format::Jsonl {
        // Streaming: a reader thread parses and hands out finished units in
        // batches; this thread scores each batch in parallel and writes it
        // at once, in file order.
        let mut sink = Sink::new(opts.format, opts.color, out, true);
        sink.spare = Some(&scorer.spare);
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Unit>>(4);
        let mut c = collector(card, &plan, true);
        let read = std::thread::scope(|s| {
            let reader = s.spawn(|| {
                let tx = tx;
                let mut batch = Vec::with_capacity(BATCH);
                let mut on_unit = |b: UnitBlock, clean: bool| {
                    // After a bad row nothing more is written: the run fails.
                    if !clean {
                        return;
                    }
                    batch.push(Unit::One(b));
                    if batch.len() == BATCH {
                        let _ = tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                    }
                };
                let r = long_csv::read(path, layout, whole, &mut c, &mut on_unit, &|b| {
                    progress.add(b)
                });
                let (rest, errors) = c.finish();
                if errors.is_empty() {
                    batch.extend(rest.into_iter().map(Unit::One));
                    if !batch.is_empty() {
                        let _ = tx.send(batch);
                    }
                }
                r.map(|_| errors)
            });
            for batch in rx {
                sink.take(scorer.score(&batch));
            }
            reader.join().expect("reader thread does not panic")
        });
        progress.clear();
        let errors = read.map_err(io_fail)?;
        if !errors.is_empty() {
            return Err(invalid(path, errors, Source::Csv(Some(layout))));
        }
        return sink.finish(card, &plan, true);
    }

    // Grouped, and the output comes at the end: each part of the file (split
    // at unit boundaries) is read on its own core.
    let done = read_grouped(r, &scan.parts, false, out)?;
    Ok(done.expect("a run on a first pass's findings is never spoiled"))
}

/// One reading of a CSV file on a plan: what every way of reading it
/// ([`read_grouped`], [`read_periods`], [`read_interleaved`]) needs, an
/// attempt failing over to the next with the same.
#[derive(Clone, Copy)]
struct Reading<'r> {
    card: &'r Scorecard,
    path: &'r Path,
    header: &'r long_csv::Header,
    plan: &'r Plan,
    opts: &'r Options,
    progress: &'r Progress,
}

/// Reads the parts of a grouped file, each on its own core, and writes the
/// output once the whole file is known good. A ranking needs only the
/// scores, so units are scored as their rows end; JSON keeps the values.
///
/// `speculative`: the plan and the parts come from a [`long_csv::guess`], not a
/// first pass; parts number their lines from 1. `None` (and nothing
/// written) when reading shows the guess wrong.
fn read_grouped(
    r: Reading,
    parts: &[long_csv::Part],
    speculative: bool,
    out: &mut dyn Write,
) -> Result<Option<Done>, Failure> {
    let Reading {
        card,
        path,
        header,
        plan,
        opts,
        progress,
    } = r;
    let io_fail = cannot_read(path);
    let layout = &header.layout;
    let scorer = Scorer::new(card, plan, opts);
    let keep_blocks = matches!(opts.format, Format::Json | Format::CsvLong);
    let shared = Arc::new(rows::SharedUnits::default());
    let read: Vec<io::Result<PartResult>> = parts
        .par_iter()
        .map(|part| {
            let mut c = collector(card, plan, true);
            if speculative {
                c.speculate(shared.clone());
            }
            let (mut outs, mut blocks) = (Vec::new(), Vec::new());
            let mut scratch = Scratch::default();
            let mut on_unit = |b: UnitBlock, clean: bool| {
                if !clean {
                    return;
                }
                if keep_blocks {
                    blocks.push(b);
                } else {
                    outs.push(scorer.unit(&b, &mut scratch));
                }
            };
            let lines = long_csv::read(path, layout, *part, &mut c, &mut on_unit, &|b| {
                progress.add(b)
            })?;
            let spoiled = c.spoiled();
            let (rest, errors) = c.finish();
            if errors.is_empty() && !spoiled {
                for b in rest {
                    on_unit(b, true);
                }
            }
            Ok(PartResult {
                // Taken apart here, on the part's thread.
                outs: outs.into(),
                blocks,
                errors,
                lines,
                spoiled,
            })
        })
        .collect();
    let mut errors = Errors::default();
    // Each part's results stay in their own vector, handed to the sink in
    // order: not copied into one.
    let (mut outs, mut blocks) = (Vec::with_capacity(read.len()), Vec::new());
    // Speculative parts count lines from 1: where each begins in the file.
    let mut line = header.line - 1;
    for p in read {
        let p = p.map_err(io_fail)?;
        // Speculating, a spoiled part spoils them all (`SharedUnits`).
        if p.spoiled {
            return Ok(None);
        }
        errors.total += p.errors.total;
        let room = Errors::KEEP - errors.items.len().min(Errors::KEEP);
        errors
            .items
            .extend(p.errors.items.into_iter().take(room).map(|d| {
                if speculative {
                    long_csv::relocate(d, line, 0)
                } else {
                    d
                }
            }));
        line += p.lines;
        outs.push(p.outs);
        blocks.extend(p.blocks);
    }
    if !errors.is_empty() {
        progress.clear();
        return Err(invalid(path, errors, Source::Csv(Some(layout))));
    }
    if keep_blocks {
        return finish_buffered(card, plan, opts, blocks, out, progress).map(Some);
    }
    progress.clear();
    let mut sink = Sink::new(opts.format, opts.color, out, false);
    for o in outs {
        sink.take(o);
    }
    sink.finish(card, plan, true).map(Some)
}

/// Reads a file grouped by period whose periods' rows are each grouped by
/// unit in stretches of its periods' runs, one per core, all at once
/// ([`long_csv::period_blocks`]). Each stretch hands out its units as
/// their rows end, as a file grouped by unit does; a unit is whole once it
/// has a piece from every run ([`Meeting`]), and a ranking's is scored by
/// the stretch ahead while the others read on. Nothing waits for the end
/// of the file to be joined on one core, and a unit's values are freed
/// once scored. JSON, JSON Lines and csv-long keep the whole units for
/// writing in order.
///
/// `None` (and nothing written, the progress bar as it was) when the file
/// of `parts` cannot be read so, when a stretch is not grouped by unit or
/// has any problem, a value given in two stretches included: the caller
/// then reads the file as it would without this ([`read_interleaved`]),
/// which reports the problems.
fn read_periods(
    r: Reading,
    parts: &[long_csv::Part],
    out: &mut dyn Write,
) -> Result<Option<Done>, Failure> {
    let (path, progress) = (r.path, r.progress);
    let io_fail = cannot_read(path);
    let cores = rayon::current_num_threads();
    let Some(blocks) = long_csv::period_blocks(path, r.header, parts, cores).map_err(io_fail)?
    else {
        return Ok(None);
    };
    let done = read_stretches(r, &blocks, out)?;
    if done.is_none() {
        progress.clear();
        progress.bytes(parts.last().map_or(0, |p| p.end) - parts.first().map_or(0, |p| p.start));
    }
    Ok(done)
}

/// [`read_periods`] of the file's stretches.
fn read_stretches(
    r: Reading,
    blocks: &long_csv::PeriodBlocks,
    out: &mut dyn Write,
) -> Result<Option<Done>, Failure> {
    let Reading {
        card,
        path,
        header,
        plan,
        opts,
        progress,
    } = r;
    let layout = &header.layout;
    let (stretches, runs) = (&blocks.stretches, blocks.runs);
    let io_fail = cannot_read(path);
    let scorer = Scorer::new(card, plan, opts);
    // Text (JSON, JSON Lines, csv-long) is written in batches, in order:
    // only a ranking's units are scored as they are met.
    let keep_blocks = !matches!(opts.format, Format::Table | Format::Csv);
    let meeting = Meeting::new(runs, stretches.len());
    // Per stretch: its whole units, or `None` when it failed.
    let read: Vec<io::Result<Option<Vec<Placed>>>> = stretches
        .par_iter()
        .enumerate()
        .map(|(s, part)| {
            let mut hands = Hands::default();
            meeting.start();
            let read = (|| {
                let mut c = collector(card, plan, true);
                c.period_stretch();
                let mut next = 0;
                let mut on_unit = |b: UnitBlock, clean: bool| {
                    if !clean || meeting.failed() {
                        return;
                    }
                    let place = (s as u32, next);
                    next += 1;
                    match meeting.arrive(place, b) {
                        Some((first, unit)) if keep_blocks => {
                            hands.met.push((first, Met::Unit(unit)));
                        }
                        // Scored by the stretch that hands out the next
                        // unit first: the one ahead, which then slows, so
                        // the stretches keep pace and share the scoring.
                        Some(whole) => meeting.ready(whole),
                        None if !keep_blocks => {
                            if let Some(whole) = meeting.take(false) {
                                hands.score(&scorer, whole);
                            }
                        }
                        None => {}
                    }
                };
                long_csv::read(path, layout, *part, &mut c, &mut on_unit, &|b| {
                    progress.add(b)
                })?;
                let spoiled = c.spoiled();
                let (rest, errors) = c.finish();
                if spoiled || !errors.is_empty() {
                    return Ok(false);
                }
                rest.into_iter().for_each(|b| on_unit(b, true));
                Ok(true)
            })();
            let ok = matches!(read, Ok(true));
            meeting.done_reading(ok);
            if ok && !keep_blocks {
                // Scores what the stretches still reading complete.
                while let Some(whole) = meeting.take(true) {
                    hands.score(&scorer, whole);
                }
            }
            read.map(|ok| ok.then_some(hands.met))
        })
        .collect();
    let mut met = Vec::new();
    for r in read {
        match r.map_err(io_fail)? {
            Some(m) => met.extend(m),
            None => return Ok(None),
        }
    }
    let Some(left) = meeting.left() else {
        return Ok(None);
    };
    // Units not in every run are whole now.
    if keep_blocks {
        met.extend(left.into_iter().map(|(first, u)| (first, Met::Unit(u))));
    } else {
        met.par_extend(left.into_par_iter().map_init(Hands::default, |h, whole| {
            h.score(&scorer, whole);
            h.met.pop().expect("just scored")
        }));
    }
    // The order of the units' first rows, as one core reads them.
    met.sort_unstable_by_key(|(first, _)| *first);
    // All units kept, or all scored (`keep_blocks`).
    let (mut units, mut outs) = (Vec::new(), Vec::new());
    for (_, m) in met {
        match m {
            Met::Unit(u) => units.push(u),
            Met::Out(o) => outs.push(o),
        }
    }
    if keep_blocks {
        return finish_buffered(card, plan, opts, units, out, progress).map(Some);
    }
    progress.clear();
    let mut sink = Sink::new(opts.format, opts.color, out, false);
    sink.take(outs);
    sink.finish(card, plan, true).map(Some)
}

/// Where a unit's first piece is: its stretch, and its place among the
/// units the stretch handed out. Stretches are in file order, so these
/// sort as the units' first rows do.
type Place = (u32, u32);

/// A whole unit and where its first piece is.
type Placed = (Place, Met);

/// A whole unit from [`read_periods`]: scored, or kept to be written.
enum Met {
    Out(UnitOut),
    Unit(Unit),
}

/// Where the stretches of [`read_periods`] hand their units over: a unit
/// waits here until it has a piece from every run of a period (or the
/// reading ends), then, for a ranking, until a thread scores it.
struct Meeting {
    /// Runs of a period in the file: a unit is whole once it has a piece
    /// from each. (A long run is read in several stretches, each with
    /// some of its units.)
    runs: usize,
    /// Units waiting, in [`SHARDS`] by name: the stretches of a file
    /// grouped by period hand out the same units at about the same time,
    /// and behind one lock they waited for each other (ten times the
    /// futex calls of the whole run).
    shards: Vec<std::sync::Mutex<Shard>>,
    ready: std::sync::Mutex<Ready>,
    /// Signalled when a unit is ready or a stretch is read.
    wake: std::sync::Condvar,
    /// A value given in two stretches, or a stretch that failed.
    failed: AtomicBool,
}

/// Whole units not yet scored, and how many stretches are not yet read,
/// and not yet begun.
struct Ready {
    units: Vec<(Place, Unit)>,
    reading: usize,
    unstarted: usize,
    /// Threads waiting in [`Meeting::take`]: a wake-up is a system call,
    /// made only for them (it was one per unit).
    waiters: usize,
}

/// A stretch's thread's results and the buffers it scores with.
#[derive(Default)]
struct Hands {
    met: Vec<Placed>,
    scratch: Scratch,
    joined: UnitBlock,
}

impl Hands {
    fn score(&mut self, scorer: &Scorer, (first, unit): (Place, Unit)) {
        let out = scorer.unit(unit.block(&mut self.joined), &mut self.scratch);
        self.met.push((first, Met::Out(out)));
    }
}

/// Locks of [`Meeting`]'s units waiting.
const SHARDS: usize = 64;

/// Units waiting, and units gone, by the hash of their name (a unit met
/// with another's hash fails the meeting).
#[derive(Default)]
struct Shard {
    waiting: rustc_hash::FxHashMap<u64, Waiting>,
    /// A piece of a unit already whole fails the meeting: the unit's rows
    /// were not together in one of the runs after all.
    gone: rustc_hash::FxHashSet<u64>,
}

/// A unit some stretches have handed out.
///
/// Nothing is allocated here for a unit of two runs: what one thread
/// allocates and another frees or grows takes the first's heap lock, and
/// a vector of pieces grown by the thread that completes the unit kept
/// both threads waiting on it (JSON grouped by period took 1.11x the time
/// before).
struct Waiting {
    first: Place,
    /// The first piece handed over, with its stretch; and the others but
    /// the last, with more than two runs.
    head: (u32, UnitBlock),
    more: Vec<(u32, UnitBlock)>,
    /// Every piece's seen bits, together.
    seen: Vec<u64>,
}

impl Meeting {
    fn new(runs: usize, stretches: usize) -> Meeting {
        Meeting {
            runs,
            shards: (0..SHARDS).map(|_| Default::default()).collect(),
            ready: std::sync::Mutex::new(Ready {
                units: Vec::new(),
                reading: stretches,
                unstarted: stretches,
                waiters: 0,
            }),
            wake: std::sync::Condvar::new(),
            failed: AtomicBool::new(false),
        }
    }

    fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// A whole unit, to be scored by [`Meeting::take`].
    fn ready(&self, whole: (Place, Unit)) {
        let Ok(mut r) = self.ready.lock() else {
            return;
        };
        r.units.push(whole);
        if r.waiters > 0 {
            drop(r);
            self.wake.notify_one();
        }
    }

    /// A stretch's reading begins.
    fn start(&self) {
        if let Ok(mut r) = self.ready.lock() {
            r.unstarted -= 1;
        }
    }

    /// A whole unit to score; with `wait`, waiting for one while any
    /// stretch is still being read. A thread waits only once every
    /// stretch has begun (on other threads): with more stretches than
    /// threads, it must go back to the pool and read the next one.
    fn take(&self, wait: bool) -> Option<(Place, Unit)> {
        // Not waiting, a thread that finds the lock held reads on.
        let r = if wait {
            self.ready.lock().ok()?
        } else {
            self.ready.try_lock().ok()?
        };
        let mut r = r;
        while wait && r.units.is_empty() && r.reading > 0 && r.unstarted == 0 && !self.failed() {
            r.waiters += 1;
            r = self.wake.wait(r).ok()?;
            r.waiters -= 1;
        }
        if self.failed() {
            return None;
        }
        r.units.pop()
    }

    /// A stretch is read (`ok`), or failed.
    fn done_reading(&self, ok: bool) {
        if !ok {
            self.failed.store(true, Ordering::Relaxed);
        }
        if let Ok(mut r) = self.ready.lock() {
            r.reading -= 1;
        }
        self.wake.notify_all();
    }

    /// Hands over unit piece `b` from `place`: the unit, when this was its
    /// last piece, with where its first was.
    fn arrive(&self, place: Place, mut b: UnitBlock) -> Option<(Place, Unit)> {
        let seen = std::mem::take(&mut b.seen);
        use std::hash::BuildHasher;
        let hash = rustc_hash::FxBuildHasher.hash_one(&b.name);
        let at = (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize % SHARDS;
        let mut shard = self.shards[at].lock().ok()?;
        if shard.gone.contains(&hash) {
            self.failed.store(true, Ordering::Relaxed);
            return None;
        }
        let Some(w) = shard.waiting.get_mut(&hash) else {
            shard.waiting.insert(
                hash,
                Waiting {
                    first: place,
                    head: (place.0, b),
                    more: Vec::new(),
                    seen,
                },
            );
            return None;
        };
        // A duplicate (one core reads the file again and reports it), or
        // two names of one hash.
        if w.head.1.name != b.name || w.seen.iter().zip(&seen).any(|(a, b)| a & b != 0) {
            self.failed.store(true, Ordering::Relaxed);
            return None;
        }
        w.first = w.first.min(place);
        if w.more.len() + 2 < self.runs {
            w.seen.iter_mut().zip(&seen).for_each(|(a, b)| *a |= b);
            w.more.push((place.0, b));
            return None;
        }
        // The last piece: the unit leaves, and is scored off the lock.
        let w = shard.waiting.remove(&hash)?;
        shard.gone.insert(hash);
        drop(shard);
        Some((w.first, w.unit(Some((place.0, b)))))
    }

    /// The units still waiting, each whole now that every stretch is read
    /// (those not in every run), and those not yet scored;
    /// `None` if the meeting failed.
    fn left(self) -> Option<Vec<(Place, Unit)>> {
        if self.failed() {
            return None;
        }
        let mut left = self.ready.into_inner().ok()?.units;
        for shard in self.shards {
            let waiting = shard.into_inner().ok()?.waiting;
            left.extend(waiting.into_values().map(|w| (w.first, w.unit(None))));
        }
        Some(left)
    }
}

impl Waiting {
    /// The unit, with its `last` piece: pieces in file order, in a vector
    /// of the calling thread's.
    fn unit(self, last: Option<(u32, UnitBlock)>) -> Unit {
        if self.more.is_empty() && last.is_none() {
            return Unit::One(self.head.1);
        }
        let mut pieces = Vec::with_capacity(self.more.len() + 2);
        pieces.push(self.head);
        pieces.extend(self.more);
        pieces.extend(last);
        pieces.sort_unstable_by_key(|(s, _)| *s);
        Unit::Pieces(pieces.into_iter().map(|(_, b)| b).collect())
    }
}

/// What reading one part of a file gives: scored units (a ranking), or
/// their values (JSON), and the part's problems; how many lines it has;
/// speculating, whether the guess failed.
struct PartResult {
    outs: Outs,
    blocks: Vec<UnitBlock>,
    errors: Errors,
    lines: u64,
    spoiled: bool,
}

/// Reads a file whose units interleave (grouped by period, or shuffled) in
/// one stretch of `parts` per core, and gives each unit's pieces from the
/// stretches, in the order of its rows in the file: joined ([`Unit`]), the
/// blocks the one-core reading gives, in the same order (units by their
/// first row). `None` when the file cannot be cut (one part) or has a
/// problem anywhere, a value given twice across stretches included: the
/// caller then reads it on one core, which reports the problems.
///
/// `speculative`: the plan and the parts come from a [`long_csv::guess`];
/// `None` as well when reading shows it wrong (a period outside it, or a
/// quote).
fn read_interleaved(
    r: Reading,
    parts: &[long_csv::Part],
    speculative: bool,
) -> io::Result<Option<Vec<Unit>>> {
    let Reading {
        card,
        path,
        header,
        plan,
        progress,
        ..
    } = r;
    let layout = &header.layout;
    let cores = rayon::current_num_threads();
    if parts.len() < 2 || cores < 2 {
        return Ok(None);
    }
    // Few stretches, not many parts: each unit's values are joined from
    // every stretch it is in, so fewer stretches copy less.
    let stretches: Vec<long_csv::Part> = parts
        .chunks(parts.len().div_ceil(cores))
        .map(|c| long_csv::Part {
            end: c[c.len() - 1].end,
            ..c[0]
        })
        .collect();
    let shared = Arc::new(rows::SharedUnits::default());
    let read: Vec<io::Result<_>> = stretches
        .par_iter()
        .map(|part| {
            let mut c = collector(card, plan, false);
            if speculative {
                c.speculate(shared.clone());
            }
            long_csv::read(path, layout, *part, &mut c, &mut |_, _: bool| {}, &|b| {
                progress.add(b)
            })?;
            let spoiled = c.spoiled();
            Ok((c.finish_with_seen(), spoiled))
        })
        .collect();
    let mut stretches = Vec::with_capacity(read.len());
    for r in read {
        let ((units, errors), spoiled) = r?;
        if spoiled || !errors.is_empty() {
            return Ok(None);
        }
        stretches.push(units);
    }
    // Units in the order of their first row: by stretch, then within it.
    let mut place: rustc_hash::FxHashMap<String, usize> = Default::default();
    let mut units: Vec<(Vec<UnitBlock>, Vec<u64>)> = Vec::new();
    for (b, seen) in stretches.into_iter().flatten() {
        let Some(&g) = place.get(&b.name) else {
            place.insert(b.name.clone(), units.len());
            units.push((vec![b], seen));
            continue;
        };
        let (pieces, given) = &mut units[g];
        if given.iter().zip(&seen).any(|(a, b)| a & b != 0) {
            return Ok(None); // a duplicate
        }
        given.iter_mut().zip(&seen).for_each(|(a, b)| *a |= b);
        pieces.push(b);
    }
    Ok(Some(
        units
            .into_iter()
            .map(|(mut pieces, _)| match pieces.len() {
                1 => Unit::One(pieces.pop().expect("one")),
                _ => Unit::Pieces(pieces),
            })
            .collect(),
    ))
}

/// Scores units held in memory, in parallel chunks, and writes them.
fn finish_buffered(
    card: &Scorecard,
    plan: &Plan,
    opts: &Options,
    blocks: Vec<impl Into<Unit>>,
    out: &mut dyn Write,
    progress: &Progress,
) -> Result<Done, Failure> {
    let blocks: Vec<Unit> = blocks.into_iter().map(Into::into).collect();
    let mut scorer = Scorer::new(card, plan, opts);
    scorer.keep = opts.keep && opts.format == Format::Json;
    progress.units(blocks.len() as u64);
    // Under `missing = "error"` nothing is written unless every unit passes.
    if card.missing == crate::model::MissingPolicy::Error
        && matches!(opts.format, Format::Json | Format::Jsonl | Format::CsvLong)
    {
        let failures: Vec<(String, MissingData)> = blocks
            .par_iter()
            .map_init(UnitBlock::default, |joined, u| {
                scorer.check(u.block(joined))
            })
            .flatten()
            .collect();
        if !failures.is_empty() {
            progress.clear();
            let more = failures.len().saturating_sub(MAX_MISSING_UNITS);
            return Err(Failure::Missing {
                units: failures.into_iter().take(MAX_MISSING_UNITS).collect(),
                more,
            });
        }
    }
    let mut sink = Sink::new(opts.format, opts.color, out, false);
    sink.keep = scorer.keep;
    sink.spare = Some(&scorer.spare);
    let mut done = 0u64;
    // A batch's text is held until it is written: 128 units of JSON are
    // about 6 MB.
    for chunk in blocks.chunks(BATCH) {
        sink.take(scorer.score(chunk));
        done += chunk.len() as u64;
        progress.set(done);
    }
    progress.clear();
    sink.finish(card, plan, false)
}

/// Units named when `missing = "error"` fails.
const MAX_MISSING_UNITS: usize = 20;

/// One unit's result.
enum UnitOut {
    /// No row in the evaluated span.
    Skipped(String),
    Missing(String, MissingData),
    Summary(Summary),
    /// The unit printed: a JSON object or line, or csv-long rows.
    Text(Vec<u8>),
    Kept(Box<UnitEvaluation>),
}

/// Units' results with the ranking's summaries apart from the rest.
struct Outs {
    rest: Vec<UnitOut>,
    summaries: Vec<Summary>,
}

impl From<Vec<UnitOut>> for Outs {
    fn from(outs: Vec<UnitOut>) -> Outs {
        let mut summaries = Vec::with_capacity(outs.len());
        let rest = outs
            .into_iter()
            .filter_map(|o| match o {
                UnitOut::Summary(s) => {
                    summaries.push(s);
                    None
                }
                o => Some(o),
            })
            .collect();
        // In ranking order already: the serial end merges (`output::rank`).
        summaries.sort_by(output::rank_order);
        Outs { rest, summaries }
    }
}

/// The text buffers of units written, given back for the units to come.
/// A buffer freed after its batch was written went back to the system
/// with the rest of the batch, and the next batch's text was written into
/// pages the kernel had to fault in again: 115,000 times for 10,000 units
/// as JSON (470 MB), a sixth of the run's CPU. Reused, the pages stay
/// resident; no more buffers are held than one batch had.
#[derive(Default)]
struct Spare(std::sync::Mutex<Vec<Vec<u8>>>);

impl Spare {
    /// An empty buffer with room for at least `size` bytes.
    fn take(&self, size: usize) -> Vec<u8> {
        let mut v = self
            .0
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_default();
        v.reserve(size);
        v
    }

    fn give(&self, mut v: Vec<u8>) {
        v.clear();
        if let Ok(mut s) = self.0.lock() {
            s.push(v);
        }
    }
}

/// A run's [`Evaluator`] with how its results are written; shared by the
/// worker threads.
struct Scorer<'a> {
    eval: Evaluator<'a>,
    format: Format,
    /// Keep evaluations instead of printing them.
    keep: bool,
    /// How a CSV ranking prints its numbers.
    style: output::Style,
    /// `--decimals` of csv-long rows.
    decimals: Option<u32>,
    /// The label of the span compared with, for csv-long rows.
    previous: Option<String>,
    /// Text buffers to reuse (JSON, JSON Lines, csv-long rows).
    spare: Spare,
    /// The card's bytes of every unit's JSON.
    frames: Option<Frames<'a>>,
}

impl<'a> Scorer<'a> {
    fn new(card: &'a Scorecard, plan: &Plan, opts: &Options) -> Scorer<'a> {
        let style = match (opts.format, opts.decimals) {
            (Format::Csv, Some(n)) => output::Style::Decimals(n),
            (Format::Csv, None) => output::Style::Exact,
            _ => output::Style::Rounded,
        };
        Scorer {
            eval: Evaluator::new(card, plan),
            format: opts.format,
            keep: false,
            style,
            decimals: opts.decimals,
            previous: plan.previous.as_ref().map(|p| plan.label(p)),
            spare: Spare::default(),
            frames: output::json_frames(card, opts.format),
        }
    }

    fn score(&self, blocks: &[Unit]) -> Vec<UnitOut> {
        blocks
            .par_iter()
            .map_init(Scratch::default, |scratch, u| {
                let mut joined = std::mem::take(&mut scratch.joined);
                let out = self.unit(u.block(&mut joined), scratch);
                scratch.joined = joined;
                out
            })
            .collect()
    }

    /// `missing = "error"`: the unit's missing indicators, if any.
    fn check(&self, b: &UnitBlock) -> Option<(String, MissingData)> {
        if !b.in_current {
            return None;
        }
        self.eval.check(b).err().map(|m| (b.name.clone(), m))
    }

    /// One unit's result; `scratch` holds the calling thread's buffers.
    fn unit(&self, b: &UnitBlock, scratch: &mut Scratch) -> UnitOut {
        if !b.in_current {
            return UnitOut::Skipped(b.name.clone());
        }
        let card = self.eval.card;
        let rules = self.eval.rules(b);
        let ranking = matches!(self.format, Format::Table | Format::Csv);
        if ranking && self.eval.one_period() {
            // One period and no trend (the usual ranking): the grid is the
            // slots, and no buffer is allocated per unit.
            self.eval
                .score_one_period(b, &rules, &mut scratch.slots, &mut scratch.scores);
            return self.summary(b, &scratch.scores, None);
        }
        let (cur, prev) = self.eval.spans(b, &rules);
        match self.format {
            Format::Table | Format::Csv => {
                let s = score::score_slots_with(card, &rules.current, &cur);
                let p = prev.map(|p| score::score_slots_with(card, &rules.previous, &p));
                self.summary(b, &s, p.as_ref())
            }
            Format::Json | Format::Jsonl if !self.keep => {
                // Written as dressed: an `Evaluation` would copy the card
                // into every unit only to be written and freed.
                let written = self
                    .eval
                    .dressed(&rules, &cur, prev.as_ref(), Some(&b.name), |d| {
                        let text = self.spare.take(scratch.text_len);
                        let framed = (d, self.frames.as_ref());
                        if self.format == Format::Json {
                            output::json_element(&framed, text)
                        } else {
                            output::json_line(&framed, text)
                        }
                    });
                match written {
                    Ok(text) => {
                        scratch.text_len = text.len();
                        UnitOut::Text(text)
                    }
                    Err(m) => UnitOut::Missing(b.name.clone(), m),
                }
            }
            // Kept for a report, or csv-long rows.
            Format::Json | Format::Jsonl | Format::CsvLong => {
                match self.eval.dress(&rules, &cur, prev.as_ref(), Some(&b.name)) {
                    Ok(e) if self.keep => {
                        let previous_composite = prev
                            .as_ref()
                            .map(|p| score::score_slots_with(card, &rules.previous, p).composite);
                        UnitOut::Kept(Box::new(UnitEvaluation {
                            evaluation: e,
                            previous_composite,
                            notes: self.eval.notes(b),
                        }))
                    }
                    Ok(e) => {
                        let notes = self.eval.notes(b);
                        let unit = crate::export::Unit {
                            evaluation: &e,
                            notes: &notes,
                        };
                        let text = crate::export::csv_long::unit_rows(
                            card,
                            unit,
                            self.previous.as_deref(),
                            self.decimals,
                            self.spare.take(scratch.text_len),
                        );
                        scratch.text_len = text.len();
                        UnitOut::Text(text)
                    }
                    Err(m) => UnitOut::Missing(b.name.clone(), m),
                }
            }
        }
    }

    /// A ranking's line for a unit scored `s` (and `previous`).
    fn summary(
        &self,
        b: &UnitBlock,
        s: &score::Scores,
        previous: Option<&score::Scores>,
    ) -> UnitOut {
        let card = self.eval.card;
        if let Err(m) = score::check_missing(card, s) {
            return UnitOut::Missing(b.name.clone(), m);
        }
        UnitOut::Summary(Summary::new(card, &b.name, s, previous, self.style))
    }
}

/// Buffers a thread reuses from one unit to the next.
#[derive(Default)]
struct Scratch {
    slots: score::Slots,
    scores: score::Scores,
    /// A unit read in stretches, joined.
    joined: UnitBlock,
    /// The length of the thread's last unit's text, the next one's guess.
    text_len: usize,
}

/// A unit's values as read: one block, or, from a file read in stretches
/// ([`read_interleaved`]), one block per stretch the unit is in, in file
/// order. The pieces are joined only when the unit is scored, into a
/// buffer its thread reuses: joining them all first would hold every
/// value twice.
enum Unit {
    One(UnitBlock),
    Pieces(Vec<UnitBlock>),
}

impl From<UnitBlock> for Unit {
    fn from(b: UnitBlock) -> Unit {
        Unit::One(b)
    }
}

impl Unit {
    /// The unit's block, joined into `joined` if it is in pieces.
    fn block<'b>(&'b self, joined: &'b mut UnitBlock) -> &'b UnitBlock {
        let pieces = match self {
            Unit::One(b) => return b,
            Unit::Pieces(p) => p,
        };
        joined.name.clone_from(&pieces[0].name);
        joined.entries.clear();
        joined.notes.clear();
        joined.targets.clear();
        joined.baselines.clear();
        joined.in_current = false;
        for p in pieces {
            joined.entries.extend_from_slice(&p.entries);
            joined.notes.extend(p.notes.iter().cloned());
            joined.targets.extend(p.targets.iter().cloned());
            joined.baselines.extend_from_slice(&p.baselines);
            joined.in_current |= p.in_current;
        }
        joined
    }
}

/// Collects results in order: writes JSON as it comes, keeps summaries
/// for the ranking.
struct Sink<'o> {
    format: Format,
    color: bool,
    out: &'o mut dyn Write,
    /// The ranking's summaries, as each part (or batch) gave them: ranked
    /// by reference, not copied into one vector.
    summaries: Vec<Vec<Summary>>,
    written: usize,
    missing: Vec<(String, MissingData)>,
    missing_total: usize,
    skipped: Vec<String>,
    skipped_total: usize,
    error: Option<io::Error>,
    /// Keep evaluations (and write nothing).
    keep: bool,
    kept: Vec<UnitEvaluation>,
    /// Streaming JSON Lines: stop writing at the first unit that fails.
    stop_on_missing: bool,
    /// Where written text goes back for reuse.
    spare: Option<&'o Spare>,
}

impl<'o> Sink<'o> {
    fn new(format: Format, color: bool, out: &'o mut dyn Write, streaming: bool) -> Sink<'o> {
        Sink {
            format,
            color,
            out,
            summaries: Vec::new(),
            written: 0,
            missing: Vec::new(),
            missing_total: 0,
            skipped: Vec::new(),
            skipped_total: 0,
            error: None,
            keep: false,
            kept: Vec::new(),
            stop_on_missing: streaming,
            spare: None,
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.error.is_none()
            && let Err(e) = self.out.write_all(bytes)
        {
            self.error = Some(e);
        }
    }

    fn take(&mut self, outs: impl Into<Outs>) {
        let Outs { rest, summaries } = outs.into();
        if !summaries.is_empty() {
            self.summaries.push(summaries);
        }
        for o in rest {
            match o {
                UnitOut::Skipped(name) => {
                    self.skipped_total += 1;
                    if self.skipped.len() < 5 {
                        self.skipped.push(name);
                    }
                }
                UnitOut::Missing(name, m) => {
                    self.missing_total += 1;
                    if self.missing.len() < MAX_MISSING_UNITS {
                        self.missing.push((name, m));
                    }
                }
                UnitOut::Summary(_) => unreachable!("summaries are taken apart"),
                UnitOut::Kept(u) => self.kept.push(*u),
                UnitOut::Text(bytes) => {
                    if self.missing_total > 0 && self.stop_on_missing {
                        continue;
                    }
                    // An element starts with the `,` before it; the
                    // first's is the array's `[`. One write per unit.
                    let mut text = &bytes[..];
                    if self.format == Format::Json && self.written == 0 {
                        self.write(b"[");
                        text = text.strip_prefix(b",").unwrap_or(text);
                    }
                    if self.format == Format::CsvLong && self.written == 0 {
                        self.write(&crate::export::csv_long::header());
                    }
                    self.write(text);
                    self.written += 1;
                    if let Some(spare) = self.spare {
                        spare.give(bytes);
                    }
                }
            }
        }
    }

    fn finish(mut self, card: &Scorecard, plan: &Plan, streamed: bool) -> Result<Done, Failure> {
        if self.missing_total > 0 {
            let _ = self.out.flush();
            return Err(Failure::Missing {
                units: self.missing,
                more: self.missing_total.saturating_sub(MAX_MISSING_UNITS),
            });
        }
        let units = match self.format {
            Format::Json if self.keep => self.kept.len(),
            Format::Json => {
                let end: &[u8] = if self.written == 0 { b"[]\n" } else { b"\n]\n" };
                self.write(end);
                self.written
            }
            Format::Jsonl => self.written,
            Format::CsvLong => {
                if self.written == 0 {
                    self.write(&crate::export::csv_long::header());
                }
                self.written
            }
            Format::Table | Format::Csv => {
                let mut ranked: Vec<&Summary> = self.summaries.iter().flatten().collect();
                output::rank(&mut ranked);
                let r = if self.format == Format::Csv {
                    output::write_csv(card, &ranked, self.out)
                } else {
                    let prev = plan.previous.as_ref().map(|p| plan.label(p));
                    let t = output::table(
                        card,
                        &plan.label(&plan.current),
                        prev.as_deref(),
                        &ranked,
                        self.color,
                    );
                    self.out.write_all(t.as_bytes())
                };
                if let Err(e) = r {
                    self.error.get_or_insert(e);
                }
                let n = ranked.len();
                // Ten thousand strings that other threads allocated take
                // about a millisecond to free: a pool thread frees them
                // while the caller goes on.
                let runs = std::mem::take(&mut self.summaries);
                rayon::spawn(move || drop(runs));
                n
            }
        };
        if let Some(e) = self.error.take().or_else(|| self.out.flush().err()) {
            return Err(Failure::Usage(format!("cannot write the output: {e}")));
        }
        Ok(Done {
            plan: plan.clone(),
            units,
            skipped: self.skipped,
            skipped_total: self.skipped_total,
            streamed,
            one_pass: false,
            evaluations: self.kept,
        })
    }
}

/// Where a data file's problems are looked up when they are reported.
enum Source<'a> {
    /// A CSV file (re-read only now, to show the offending lines).
    Csv(Option<&'a rows::Layout>),
    Workbook(Option<&'a workbook::Book>),
}

/// The run's problems as diagnostics, each naming the file and the row and
/// column (CSV, with the line shown) or the sheet and cell (workbooks).
fn invalid(path: &Path, mut errors: Errors, source: Source) -> Failure {
    let keys: HashSet<(String, String, String)> = errors
        .items
        .iter()
        .filter_map(|e| e.duplicate.clone())
        .collect();
    let text = match source {
        Source::Csv(_) => std::fs::read(path).ok().map(same_length_text),
        Source::Workbook(_) => None,
    };
    let src = SourceFile::new(path, text.unwrap_or_default());
    // The readers count rows by `\n`; a CR-only file is then all "row 1".
    // The file's own line index counts every line break.
    let row_at = |byte: u64| src.line_col(byte as usize).0;
    if !keys.is_empty() {
        let first: std::collections::HashMap<(String, String, String), String> =
            match (&source, src.text.is_empty()) {
                (Source::Csv(Some(layout)), false) => {
                    long_csv::first_rows(&src.text, layout, &keys)
                        .into_iter()
                        .map(|(k, byte)| (k, format!("row {}", row_at(byte))))
                        .collect()
                }
                (Source::Workbook(Some(book)), _) => book
                    .first_rows(&keys)
                    .into_iter()
                    .map(|(k, at)| (k, at.row_name()))
                    .collect(),
                _ => Default::default(),
            };
        for e in &mut errors.items {
            if let Some(first) = e.duplicate.as_ref().and_then(|k| first.get(k)) {
                e.message.push_str(&format!(" (first given on {first})"));
            }
        }
    }
    let diagnostics = errors
        .items
        .into_iter()
        .map(|mut e| {
            if let At::Csv { line, byte, .. } = e.at
                && !src.text.is_empty()
                && row_at(byte) as u64 != line
            {
                e.message =
                    e.message
                        .replacen(&format!("row {line}"), &format!("row {}", row_at(byte)), 1);
            }
            let d = Diagnostic::error(e.code, e.message)
                .label(e.label)
                .hint_opt(e.hint);
            match e.at {
                At::Csv { byte, field, .. } if !src.text.is_empty() => d.at(
                    &src,
                    crate::data::measurements::csv_field_span(&src.text, byte as usize, field),
                ),
                _ => d.in_file(&src),
            }
        })
        .collect::<Vec<_>>();
    let more = errors.total - diagnostics.len();
    Failure::Invalid { diagnostics, more }
}

/// The file as text for showing its lines, each byte that is not UTF-8
/// read as `?`: one bad byte must not cost every other diagnostic its
/// line and column, and one byte for one keeps the readers' offsets.
fn same_length_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| {
        let bytes = e.into_bytes();
        let mut text = String::with_capacity(bytes.len());
        for chunk in bytes.utf8_chunks() {
            text.push_str(chunk.valid());
            text.extend(std::iter::repeat_n('?', chunk.invalid().len()));
        }
        text
    })
}

/// A progress bar on stderr, drawn only on a terminal and only once a run
/// has taken a moment (short runs print nothing).
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    start: Instant,
    shown: AtomicBool,
}

impl Progress {
    fn new(wanted: bool) -> Progress {
        use std::io::IsTerminal;
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden())
        });
        Progress {
            bar,
            start: Instant::now(),
            shown: AtomicBool::new(false),
        }
    }

    fn style(&self, template: &str, len: u64) {
        if let Some(b) = &self.bar {
            if let Ok(s) = indicatif::ProgressStyle::with_template(template) {
                b.set_style(s.progress_chars("=> "));
            }
            b.set_length(len);
            b.set_position(0);
        }
    }

    /// Reading: progress in bytes of the file.
    fn bytes(&self, len: u64) {
        self.style("reading {wide_bar} {bytes}/{total_bytes} ({eta})", len);
    }

    /// Scoring units held in memory.
    fn units(&self, len: u64) {
        self.style("scoring {wide_bar} {pos}/{len} units ({eta})", len);
    }

    fn show(&self, b: &indicatif::ProgressBar) {
        if !self.shown.load(Ordering::Relaxed) && self.start.elapsed() > Duration::from_millis(300)
        {
            self.shown.store(true, Ordering::Relaxed);
            b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    fn set(&self, pos: u64) {
        let Some(b) = &self.bar else { return };
        self.show(b);
        b.set_position(pos);
    }

    /// Adds to the position (from any thread).
    fn add(&self, delta: u64) {
        let Some(b) = &self.bar else { return };
        self.show(b);
        b.inc(delta);
    }

    fn clear(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Every unit's evaluation, in input order, with the run's plan: what a
/// portfolio report renders. Reads the data like `--format json` does.
pub fn evaluations(
    card: &Scorecard,
    path: &Path,
    selection: Selection,
    year_ago: bool,
) -> Result<(Plan, Vec<UnitEvaluation>), Failure> {
    let opts = Options {
        selection,
        format: Format::Json,
        progress: true,
        color: false,
        keep: true,
        year_ago,
        decimals: None,
    };
    let done = evaluate(card, path, &opts, &mut io::sink())?;
    Ok((done.plan, done.evaluations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_taken_again_empty_with_its_room() {
        let spare = Spare::default();
        let mut v = Vec::with_capacity(4096);
        v.extend_from_slice(b"written");
        let at = v.as_ptr();
        spare.give(v);
        let again = spare.take(100);
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), at, "the same allocation");
        assert!(again.capacity() >= 4096);
        // None left: a new one, with the room asked for.
        assert!(spare.take(10).capacity() >= 10);
    }

    #[test]
    fn written_text_goes_back_for_reuse_in_every_format() {
        for format in [Format::Json, Format::Jsonl, Format::CsvLong] {
            let spare = Spare::default();
            let mut out = Vec::new();
            let mut sink = Sink::new(format, false, &mut out, false);
            sink.spare = Some(&spare);
            // A JSON element comes with the `,` before it, which the
            // first gives up for the `[`.
            let text: &[u8] = if format == Format::Json {
                b",\ntext\n"
            } else {
                b"text\n"
            };
            sink.take(vec![UnitOut::Text(text.to_vec())]);
            assert_eq!(spare.0.lock().unwrap().len(), 1, "{format:?}");
            assert!(out.ends_with(b"text\n"), "{format:?}: written first");
            if format == Format::Json {
                assert_eq!(out, b"[\ntext\n");
            }
        }
    }
}
