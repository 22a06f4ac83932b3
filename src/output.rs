//! Where results go. Standard output: every command writes through
//! [`print`] or [`Stdout`], so a closed pipe or a full disk becomes an
//! [`Exit::Output`] that `cli` turns into an exit code, never a panic.
//! Files: a temporary file in the same directory, renamed over the
//! destination, so a reader never sees half a file and a failed run never
//! destroys the previous one.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use crate::cli::Exit;

/// Writes a command's whole result to standard output.
pub fn print(bytes: &[u8]) -> Exit {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Exit::Ok,
        Err(e) => Exit::Output(e),
    }
}

/// Writes a command's whole result where `-o` says: atomically to the
/// file (saying so on stderr), else to standard output.
pub fn deliver(path: Option<&Path>, bytes: &[u8]) -> Exit {
    match path {
        Some(path) => match write_atomic(path, bytes) {
            Ok(()) => {
                eprintln!("wrote {}", path.display());
                Exit::Ok
            }
            Err(e) => Exit::Usage(e),
        },
        None => print(bytes),
    }
}

/// The UTF-8 byte order mark, which Excel on Windows needs to read a CSV
/// file as UTF-8 (without it, Chinese names come out garbled).
pub const BOM: &[u8] = "\u{feff}".as_bytes();

/// A writer that starts its output with [`BOM`] (`--bom`): written with
/// the first bytes, so a run that fails before writing anything leaves
/// nothing behind, not even the mark.
pub struct WithBom<W: Write> {
    pub inner: W,
    pending: bool,
}

impl<W: Write> WithBom<W> {
    /// `bom`: whether to start with the mark at all.
    pub fn new(inner: W, bom: bool) -> WithBom<W> {
        WithBom {
            inner,
            pending: bom,
        }
    }
}

impl<W: Write> Write for WithBom<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.pending && !buf.is_empty() {
            self.inner.write_all(BOM)?;
            self.pending = false;
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
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

/// Writes `bytes` to `path` atomically. Only a regular file, a new path, or
/// a symbolic link to a regular file (whose target is then replaced) is
/// written: `-o /dev/full` must not replace a device. A new file gets
/// 0666 less the umask; an existing one keeps its mode.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let fail = |e: io::Error| format!("cannot write `{}`: {e}", path.display());
    let refuse = |what: &str| {
        format!(
            "refusing to write `{}`: it is {what}, not a regular file",
            path.display()
        )
    };
    let (dest, mode) = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => (path.to_path_buf(), None),
        Err(e) => return Err(fail(e)),
        Ok(m) if m.is_file() => (path.to_path_buf(), Some(m.permissions())),
        Ok(m) if m.file_type().is_symlink() => match fs::metadata(path) {
            Ok(t) if t.is_file() => (fs::canonicalize(path).map_err(fail)?, Some(t.permissions())),
            Ok(t) => {
                let kind = crate::load::kind_name(t.file_type());
                return Err(refuse(&format!("a symbolic link to {kind}")));
            }
            Err(_) => return Err(refuse("a symbolic link to nothing")),
        },
        Ok(m) => return Err(refuse(crate::load::kind_name(m.file_type()))),
    };
    let (dir, name) = match (dest.parent(), dest.file_name()) {
        (Some(d), Some(n)) => (
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            },
            n,
        ),
        _ => return Err(refuse("a directory")),
    };
    let name = name.to_string_lossy();
    remove_stale(dir, &name);
    let tmp = dir.join(format!(".{name}{TMP_MARK}{}", std::process::id()));
    let written = write_tmp(&tmp, bytes, mode).and_then(|()| fs::rename(&tmp, &dest));
    let pending = PENDING.lock();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    if let Ok(mut p) = pending {
        *p = None;
    }
    written.map_err(fail)
}

/// Between a temporary file's name and the id of the process writing it.
const TMP_MARK: &str = ".bsc-tmp-";

/// The temporary file being written, for the signal handler to remove.
static PENDING: Mutex<Option<PathBuf>> = Mutex::new(None);

fn write_tmp(tmp: &Path, bytes: &[u8], mode: Option<fs::Permissions>) -> io::Result<()> {
    remove_on_signal(tmp);
    let open = || {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(tmp)
    };
    // Left by an earlier process that had this id: its writer is gone.
    let mut file = match open() {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs::remove_file(tmp)?;
            open()?
        }
        r => r?,
    };
    file.write_all(bytes)?;
    if let Some(mode) = mode {
        file.set_permissions(mode)?;
    }
    file.sync_all()
}

/// Registers `tmp` for removal if the run is interrupted; the first call
/// starts the thread that waits for the signals.
fn remove_on_signal(tmp: &Path) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    static WATCHING: Once = Once::new();
    WATCHING.call_once(|| {
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Held until the process ends: no rename or new file after this.
                let pending = PENDING.lock();
                if let Ok(Some(p)) = pending.as_deref() {
                    let _ = fs::remove_file(p);
                }
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        });
    });
    if let Ok(mut p) = PENDING.lock() {
        *p = Some(tmp.to_path_buf());
    }
}

/// Removes `.NAME.bsc-tmp-PID` files that a killed run left beside `NAME`,
/// when process PID no longer exists.
fn remove_stale(dir: &Path, name: &str) {
    let prefix = format!(".{name}{TMP_MARK}");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|p| p.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        if pid > 0 && !alive(pid) && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn alive(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_order_mark_comes_with_the_first_bytes_only() {
        let mut w = WithBom::new(Vec::new(), true);
        w.write_all(b"").unwrap();
        assert!(w.inner.is_empty());
        w.write_all("单位,".as_bytes()).unwrap();
        w.write_all(b"x\n").unwrap();
        assert_eq!(w.inner, "\u{feff}单位,x\n".as_bytes());
        assert_eq!(BOM, [0xEF, 0xBB, 0xBF]);
        let mut plain = WithBom::new(Vec::new(), false);
        plain.write_all(b"a").unwrap();
        assert_eq!(plain.inner, b"a");
    }
}
