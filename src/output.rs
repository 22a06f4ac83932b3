//! Where results go. Standard output: every command writes through
//! [`print`] or [`Stdout`], so a closed pipe or a full disk becomes an
//! [`Exit::Output`] that `cli` turns into an exit code, never a panic.
//! Files: a temporary file in the same directory, renamed over the
//! destination, so a reader never sees half a file and a failed run never
//! destroys the previous one.

use std::io::{self, Write};
use std::path::Path;

use crate::cli::Exit;

/// Writes a command's whole result to standard output.
pub fn print(bytes: &[u8]) -> Exit {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Exit::Ok,
        Err(e) => Exit::Output(e),
    }
}

/// Standard output for long streamed results. It remembers the first error
/// it returned: the writers in between may turn that error into a message,
/// but the command still needs its kind (a closed pipe ends quietly).
pub struct Stdout {
    out: io::StdoutLock<'static>,
    error: Option<(io::ErrorKind, Option<i32>)>,
}

impl Stdout {
    pub fn lock() -> Stdout {
        Stdout {
            out: io::stdout().lock(),
            error: None,
        }
    }

    /// The first write error, as an exit.
    pub fn failed(&self) -> Option<Exit> {
        self.error.map(|(kind, os)| {
            Exit::Output(os.map_or_else(|| kind.into(), io::Error::from_raw_os_error))
        })
    }

    fn keep<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &r
            && self.error.is_none()
        {
            self.error = Some((e.kind(), e.raw_os_error()));
        }
        r
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.out.write(buf);
        self.keep(r)
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self.out.flush();
        self.keep(r)
    }
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// The current time as `YYYY-MM-DD HH:MM UTC` (for `--timestamp`).
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (H. Hinnant's algorithm), proleptic Gregorian.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}
