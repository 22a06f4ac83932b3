//! `bsc init`: starter files copied from the bundled examples, which a test
//! keeps valid.

use crate::cli::{Exit, InitArgs, Lang, Template};
use crate::output;

struct Starter {
    scorecard: (&'static str, &'static str),
    measurements: (&'static str, &'static str),
}

fn starter(t: Template, lang: Lang) -> Starter {
    match (t, lang) {
        (Template::Crm, Lang::En) => Starter {
            scorecard: ("crm.toml", include_str!("../../scorecards/crm.toml")),
            measurements: (
                "crm-2026-Q3.toml",
                include_str!("../../scorecards/crm-2026-Q3.toml"),
            ),
        },
        (Template::Crm, Lang::Zh) => Starter {
            scorecard: ("crm.zh.toml", include_str!("../../scorecards/crm.zh.toml")),
            measurements: (
                "crm.zh-2026-Q3.toml",
                include_str!("../../scorecards/crm.zh-2026-Q3.toml"),
            ),
        },
        (Template::Corporate, Lang::En) => Starter {
            scorecard: (
                "corporate.toml",
                include_str!("../../scorecards/corporate.toml"),
            ),
            measurements: (
                "corporate-2026-Q3.toml",
                include_str!("../../scorecards/corporate-2026-Q3.toml"),
            ),
        },
        (Template::Corporate, Lang::Zh) => Starter {
            scorecard: (
                "corporate.zh.toml",
                include_str!("../../scorecards/corporate.zh.toml"),
            ),
            measurements: (
                "corporate.zh-2026-Q3.toml",
                include_str!("../../scorecards/corporate.zh-2026-Q3.toml"),
            ),
        },
        (Template::Appraisal, Lang::En) => Starter {
            scorecard: (
                "appraisal.toml",
                include_str!("../../scorecards/appraisal.toml"),
            ),
            measurements: (
                "appraisal-2026-Q3.toml",
                include_str!("../../scorecards/appraisal-2026-Q3.toml"),
            ),
        },
        (Template::Appraisal, Lang::Zh) => Starter {
            scorecard: (
                "appraisal.zh.toml",
                include_str!("../../scorecards/appraisal.zh.toml"),
            ),
            measurements: (
                "appraisal.zh-2026-Q3.toml",
                include_str!("../../scorecards/appraisal.zh-2026-Q3.toml"),
            ),
        },
    }
}

pub fn run(args: &InitArgs) -> Exit {
    let s = starter(args.template, args.lang);
    if let Err(e) = std::fs::create_dir_all(&args.path) {
        return Exit::Usage(format!("cannot create `{}`: {e}", args.path.display()));
    }
    let files = [s.scorecard, s.measurements];
    for (name, _) in &files {
        if let Err(e) = super::refuse_existing(&args.path.join(name), args.force) {
            return e;
        }
    }
    for (name, text) in &files {
        let p = args.path.join(name);
        if let Err(e) = output::write_atomic(&p, text.as_bytes()) {
            return Exit::Usage(e);
        }
        eprintln!("wrote {}", p.display());
    }
    eprintln!(
        "next: bsc validate {} && bsc evaluate {} {}",
        args.path.display(),
        args.path.join(files[0].0).display(),
        args.path.join(files[1].0).display()
    );
    Exit::Ok
}
