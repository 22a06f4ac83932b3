//! `bsc man`: the man page in roff, from the clap definition (its
//! subcommands listed), for `bsc man > /usr/local/share/man/man1/bsc.1`.

use clap::CommandFactory;

use crate::cli::{Cli, Exit};

pub fn run() -> Exit {
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut out) {
        return Exit::Output(e);
    }
    crate::output::print(&out)
}
