//! `bsc report`: render the evaluation of the last measurements file as a
//! management report; or, with `--data`, a portfolio report of every unit
//! (or one unit's full report). To stdout, or atomically to a file.

use std::path::Path;

use crate::cli::{Exit, Lang, ReportArgs, ReportFormat};
use crate::diag::did_you_mean;
use crate::portfolio;
use crate::report::{self, Format, Options, portfolio::UnitResult};

/// `--format`, else what `-o`'s extension says (`r.md` is Markdown), else
/// HTML. An extension that is neither is a usage error, not a guess.
fn format_of(args: &ReportArgs) -> Result<Format, Exit> {
    if let Some(f) = args.format {
        return Ok(match f {
            ReportFormat::Html => Format::Html,
            ReportFormat::Md => Format::Markdown,
        });
    }
    let Some(out) = &args.output else {
        return Ok(Format::Html);
    };
    super::format_from_extension(
        out,
        &[
            ("html", Format::Html),
            ("htm", Format::Html),
            ("md", Format::Markdown),
            ("markdown", Format::Markdown),
        ],
        Format::Html,
        super::Named {
            what: "report",
            extensions: "`.html` or `.md`",
            formats: "html|md",
        },
    )
}

pub fn run(args: &ReportArgs) -> Exit {
    if let Err(e) = super::data_only_flags(&args.inputs, args.unit.as_deref()) {
        return e;
    }
    if let Err(e) =
        super::refuse_overwriting_inputs(args.output.as_deref(), &args.inputs, "the report")
    {
        return e;
    }
    let format = match format_of(args) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let opts = Options {
        format,
        lang: match args.lang {
            Lang::En => report::Lang::En,
            Lang::Zh => report::Lang::Zh,
        },
        templates: args.templates.as_deref(),
        generated_at: args.timestamp.then(crate::output::utc_now),
        year_ago: args.inputs.compare == crate::cli::Compare::YearAgo,
    };
    let rendered = match &args.inputs.data {
        Some(data) => portfolio_report(args, data, &opts),
        None => single_report(args, &opts),
    };
    let text = match rendered {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => return Exit::Usage(e.to_string()), // a broken template
        Err(exit) => return exit,
    };
    crate::output::deliver(args.output.as_deref(), text.as_bytes())
}

type Rendered = Result<Result<String, report::ReportError>, Exit>;

fn single_report(args: &ReportArgs, opts: &Options) -> Rendered {
    let run = super::evaluate_files(&args.inputs)?;
    let previous = run.compared_with.clone();
    Ok(report::render(
        &run.card,
        &run.evaluation,
        &run.notes,
        previous.as_deref(),
        opts,
    ))
}

fn portfolio_report(args: &ReportArgs, data: &Path, opts: &Options) -> Rendered {
    let (card, _) = super::load_run(&args.inputs.scorecard, &[], None, args.inputs.deny_warnings)?;
    let selection = args.inputs.selection();
    let (plan, units) = portfolio::evaluations(
        &card,
        data,
        selection,
        args.inputs.compare == crate::cli::Compare::YearAgo,
    )
    .map_err(|f| super::portfolio_failure(f, data))?;
    let period = plan.label(&plan.current);
    let previous = plan.previous.as_ref().map(|p| plan.label(p));
    if let Some(name) = &args.unit {
        let Some(u) = units
            .iter()
            .find(|u| u.evaluation.unit.as_deref() == Some(name.as_str()))
        else {
            let names: Vec<&str> = units
                .iter()
                .filter_map(|u| u.evaluation.unit.as_deref())
                .collect();
            let hint = did_you_mean(name, names.iter().copied())
                .unwrap_or_else(|| format!("units in {period}: {}", names.join(", ")));
            return Err(Exit::Usage(format!(
                "no unit `{name}` in `{}` for {period}; {hint}",
                data.display()
            )));
        };
        // One unit's report: as with measurements files, a weak indicator
        // nobody explained is a warning (SPEC §14). Long data carries no
        // check-ins, so only the card's initiatives count.
        let mut evaluation = u.evaluation.clone();
        evaluation.history = unit_history(&card, data, &plan, name)?;
        let warnings = super::note_warnings(&card, &evaluation, &u.notes, None, Some(data));
        if !warnings.is_empty() {
            eprint!(
                "{}",
                crate::diag::render_human(&warnings, super::stderr_color())
            );
            if args.inputs.deny_warnings {
                return Err(super::warnings_denied(warnings.len()));
            }
        }
        return Ok(report::render(
            &card,
            &evaluation,
            &u.notes,
            previous.as_deref(),
            opts,
        ));
    }
    let results: Vec<UnitResult> = units
        .into_iter()
        .map(|u| UnitResult {
            unit: u.evaluation.unit.clone().unwrap_or_default(),
            evaluation: u.evaluation,
            previous_composite: u.previous_composite,
            notes: u.notes,
        })
        .collect();
    Ok(report::portfolio::render(
        &card,
        &results,
        &period,
        previous.as_deref(),
        opts,
    ))
}

/// One unit's history in long data (SPEC §15): each of the last periods
/// up to the evaluated one scored on its own, when more than two are
/// (and the run is not a roll-up). A period without the unit's rows has
/// no scores.
fn unit_history(
    card: &crate::model::Scorecard,
    data: &Path,
    plan: &crate::data::period::Plan,
    unit: &str,
) -> Result<Vec<crate::score::HistoryPoint>, Exit> {
    let end = plan.current.end;
    if plan.current.len() != 1 || end <= 2 {
        return Ok(Vec::new());
    }
    let first = end.saturating_sub(super::HISTORY);
    let mut points = Vec::new();
    for label in &plan.periods[first..end] {
        let selection = crate::data::period::Selection::Period(label.clone());
        let (_, units) = portfolio::evaluations(card, data, selection, false)
            .map_err(|f| super::portfolio_failure(f, data))?;
        let point = match units
            .iter()
            .find(|u| u.evaluation.unit.as_deref() == Some(unit))
        {
            Some(u) => crate::score::HistoryPoint::of(&u.evaluation),
            None => crate::score::HistoryPoint {
                period: label.clone(),
                composite: None,
                perspectives: card
                    .perspectives
                    .iter()
                    .map(|p| (p.id.clone(), None))
                    .collect(),
                objectives: vec![None; card.objectives.len()],
                indicators: vec![None; card.indicators.len()],
            },
        };
        points.push(point);
    }
    Ok(points)
}
