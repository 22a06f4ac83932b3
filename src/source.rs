//! Source files kept in memory so that every diagnostic can point at a
//! line and column of what the user wrote.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One file's text with its display name and precomputed line starts.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (shown in diagnostics).
    pub name: String,
    pub path: PathBuf,
    pub text: String,
    /// Byte offset of each line's first byte, built once so that a
    /// position lookup is a binary search, not a scan of the file.
    line_starts: Vec<usize>,
}

pub type Source = Arc<SourceFile>;

impl SourceFile {
    pub fn new(path: &Path, text: String) -> Source {
        let line_starts = line_starts(&text);
        let name = if is_stdin(path) {
            STDIN_NAME.to_string()
        } else {
            path.display().to_string()
        };
        Arc::new(SourceFile {
            name,
            path: path.to_path_buf(),
            text,
            line_starts,
        })
    }

    /// 1-based line and column (columns count characters, as rustc does).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_index(offset);
        let start = self.line_starts[line];
        let col = self.text[start..offset].chars().count() + 1;
        (line + 1, col)
    }

    /// 0-based index of the line holding `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// The bytes of a 0-based line, without its line break.
    pub fn line_range(&self, line: usize) -> Range<usize> {
        let start = self.line_starts[line];
        let end = match self.line_starts.get(line + 1) {
            Some(&next) => {
                let t = self.text.as_bytes();
                let mut end = next;
                if end > start && t[end - 1] == b'\n' {
                    end -= 1;
                }
                if end > start && t[end - 1] == b'\r' {
                    end -= 1;
                }
                end
            }
            None => self.text.len(),
        };
        start..end
    }

    /// The source text under a span, if the span is valid.
    pub fn slice(&self, span: &Range<usize>) -> Option<&str> {
        self.text.get(span.clone())
    }
}

/// Where lines start. A line ends at `\n`, `\r\n` or a lone `\r` (old Mac
/// files, and what the CSV reader also takes as a row end): counting only
/// `\n` would put a CR-only file on one line, every position on "line 1".
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            continue;
        }
        starts.push(i + 1);
    }
    starts
}

/// How standard input is named in diagnostics.
pub const STDIN_NAME: &str = "<stdin>";

/// Whether a path given on the command line means standard input (`-`).
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// All of standard input, read on first use and kept: a command may look
/// at a file twice (to tell a scorecard from measurements), and `-` named
/// twice is the same text twice, not an empty second read.
pub fn stdin_bytes() -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    static STDIN: std::sync::OnceLock<Result<Vec<u8>, (std::io::ErrorKind, String)>> =
        std::sync::OnceLock::new();
    STDIN
        .get_or_init(|| {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .map(|_| buf)
                .map_err(|e| (e.kind(), e.to_string()))
        })
        .clone()
        .map_err(|(kind, msg)| std::io::Error::new(kind, msg))
}

/// The largest character boundary at or before `i`.
pub fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> Source {
        SourceFile::new(Path::new("x"), text.to_string())
    }

    #[test]
    fn every_line_break_style_starts_a_line() {
        let s = src("a\nbb\r\nccc\rdddd");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(2), (2, 1));
        assert_eq!(s.line_col(6), (3, 1));
        assert_eq!(s.line_col(10), (4, 1));
        assert_eq!(s.line_col(13), (4, 4));
        assert_eq!(s.line_range(1), 2..4);
        assert_eq!(s.line_range(2), 6..9);
        assert_eq!(s.line_range(3), 10..14);
    }

    #[test]
    fn cr_only_rows_are_lines() {
        let s = src("id,value\rbogus,1\rother,2\r");
        assert_eq!(s.line_col(9), (2, 1));
        assert_eq!(s.line_col(17), (3, 1));
        assert_eq!(s.line_range(2), 17..24);
        // The empty line after the final CR.
        assert_eq!(s.line_col(25), (4, 1));
    }

    #[test]
    fn columns_count_characters() {
        let s = src("é=1\nxé=2");
        assert_eq!(s.line_col(5), (2, 1));
        assert_eq!(s.line_col(8), (2, 3));
        // Inside a multi-byte character: the character's own column.
        assert_eq!(s.line_col(7), (2, 2));
    }
}
