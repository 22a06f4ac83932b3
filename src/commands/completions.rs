//! `bsc completions SHELL`: a completion script generated from the clap
//! definition the parser itself uses, so every subcommand, flag and value
//! list completes as it is parsed.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionShell, CompletionsArgs, Exit};

pub fn run(args: &CompletionsArgs) -> Exit {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "bsc", &mut out);
    crate::output::print(&out)
}
