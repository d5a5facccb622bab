//! Checking an export file against its manifest: the SHA-256 and size of the exact bytes, and the
//! number of rows, recounted from the file's structure — CSV records after the header (a quoted
//! cell may hold line breaks, so lines are not records) or NDJSON lines. The file is read once, in
//! blocks, so any size is checked in constant memory.

use crate::encode::COLUMNS;
use domain::export::{ExportFormat, ExportManifest};
use sha2::{Digest, Sha256};
use std::io::Read;

/// A line longer than this is not one of ours; counting stops keeping it in memory.
const MAX_LINE: usize = 64 * 1024 * 1024;

/// What a file turned out to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    /// SHA-256 of the bytes, lower-case hexadecimal.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Data rows (CSV records after the header; NDJSON lines).
    pub rows: u64,
    /// The first structural problem, if the file is not a well-formed export of its format.
    pub problem: Option<String>,
}

impl FileFacts {
    /// Everything in which the file differs from `manifest`; empty when it matches.
    pub fn mismatches(&self, manifest: &ExportManifest) -> Vec<String> {
        let mut out = Vec::new();
        if !self.sha256.eq_ignore_ascii_case(&manifest.sha256) {
            out.push(format!(
                "SHA-256 differs: the file has {}, the manifest says {}",
                self.sha256, manifest.sha256
            ));
        }
        if self.bytes != manifest.bytes {
            out.push(format!(
                "size differs: the file has {} bytes, the manifest says {}",
                self.bytes, manifest.bytes
            ));
        }
        if self.rows != manifest.rows {
            out.push(format!(
                "row count differs: the file has {} rows, the manifest says {}",
                self.rows, manifest.rows
            ));
        }
        if let Some(p) = &self.problem {
            out.push(format!(
                "the file is not a well-formed {}: {p}",
                manifest.format
            ));
        }
        out
    }
}

/// Reads `file` to its end: hash, size, rows and structure as `format` defines them.
///
/// # Errors
/// A read error.
pub fn inspect(mut file: impl Read, format: ExportFormat) -> std::io::Result<FileFacts> {
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut counter: Box<dyn Counter> = match format {
        ExportFormat::Csv => Box::new(CsvCounter::default()),
        ExportFormat::Ndjson => Box::new(NdjsonCounter::default()),
    };
    let mut block = vec![0u8; 64 * 1024];
    loop {
        let n = match file.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&block[..n]);
        bytes += n as u64;
        for &b in &block[..n] {
            counter.byte(b);
        }
    }
    let (rows, problem) = counter.finish();
    Ok(FileFacts {
        sha256: format!("{:x}", hasher.finalize()),
        bytes,
        rows,
        problem,
    })
}

trait Counter {
    fn byte(&mut self, b: u8);
    /// Data rows and the first problem.
    fn finish(self: Box<Self>) -> (u64, Option<String>);
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum CsvState {
    #[default]
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted cell: either the first of a doubled quote or the closing one.
    QuoteInQuoted,
    /// A carriage return outside quotes, which must be followed by a line feed.
    Cr,
}

/// RFC 4180 records, counted byte by byte (UTF-8 never puts an ASCII byte inside a character).
#[derive(Debug, Default)]
struct CsvCounter {
    state: CsvState,
    records: u64,
    fields: usize,
    /// Any byte since the last record ended.
    open: bool,
    /// The header's cells, collected while reading the first record.
    header: Vec<String>,
    cell: Vec<u8>,
    problem: Option<String>,
}

impl CsvCounter {
    fn flag(&mut self, what: &str) {
        if self.problem.is_none() {
            self.problem = Some(format!("record {}: {what}", self.records + 1));
        }
    }

    fn end_field(&mut self) {
        self.fields += 1;
        if self.records == 0 {
            self.header
                .push(String::from_utf8_lossy(&self.cell).into_owned());
            self.cell.clear();
        }
    }

    fn end_record(&mut self) {
        if self.fields != COLUMNS.len() {
            self.flag(&format!(
                "{} cells where every record has {}",
                self.fields,
                COLUMNS.len()
            ));
        }
        if self.records == 0 && self.header != COLUMNS {
            self.flag("the header is not the export's columns");
        }
        self.records += 1;
        self.fields = 0;
        self.open = false;
        self.state = CsvState::FieldStart;
    }

    fn keep(&mut self, b: u8) {
        if self.records == 0 && self.cell.len() < 1024 {
            self.cell.push(b);
        }
    }
}

impl Counter for CsvCounter {
    fn byte(&mut self, b: u8) {
        self.open = true;
        match (self.state, b) {
            (CsvState::Cr, b'\n') => {
                self.end_field();
                self.end_record();
            }
            (CsvState::Cr, _) => {
                self.flag("a carriage return outside quotes without a line feed");
                self.state = CsvState::Unquoted;
                self.keep(b);
            }
            (CsvState::Quoted, b'"') => self.state = CsvState::QuoteInQuoted,
            (CsvState::Quoted, _) => self.keep(b),
            (CsvState::QuoteInQuoted, b'"') => {
                self.state = CsvState::Quoted;
                self.keep(b);
            }
            (CsvState::FieldStart, b'"') => self.state = CsvState::Quoted,
            (_, b',') => {
                self.end_field();
                self.state = CsvState::FieldStart;
            }
            (_, b'\r') => self.state = CsvState::Cr,
            (_, b'\n') => {
                self.end_field();
                self.end_record();
            }
            (CsvState::QuoteInQuoted, _) => {
                self.flag("text after a closing quote");
                self.state = CsvState::Unquoted;
                self.keep(b);
            }
            (_, b'"') => {
                self.flag("a quote inside an unquoted cell");
                self.keep(b);
            }
            (_, _) => {
                self.state = CsvState::Unquoted;
                self.keep(b);
            }
        }
    }

    fn finish(mut self: Box<Self>) -> (u64, Option<String>) {
        if self.state == CsvState::Quoted {
            self.flag("a quoted cell is never closed");
        }
        if self.open {
            self.flag("the file does not end with a line break");
            self.end_field();
            self.end_record();
        }
        if self.records == 0 {
            self.flag("no header");
        }
        (self.records.saturating_sub(1), self.problem)
    }
}

/// NDJSON lines, each of which must be one JSON object.
#[derive(Debug, Default)]
struct NdjsonCounter {
    lines: u64,
    line: Vec<u8>,
    too_long: bool,
    problem: Option<String>,
}

impl NdjsonCounter {
    fn end_line(&mut self) {
        self.lines += 1;
        if self.problem.is_none() {
            let parsed =
                serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&self.line);
            if self.too_long {
                self.problem = Some(format!("line {} is implausibly long", self.lines));
            } else if parsed.is_err() {
                self.problem = Some(format!("line {} is not a JSON object", self.lines));
            }
        }
        self.line.clear();
        self.too_long = false;
    }
}

impl Counter for NdjsonCounter {
    fn byte(&mut self, b: u8) {
        if b == b'\n' {
            self.end_line();
        } else if self.line.len() < MAX_LINE {
            self.line.push(b);
        } else {
            self.too_long = true;
        }
    }

    fn finish(mut self: Box<Self>) -> (u64, Option<String>) {
        if !self.line.is_empty() || self.too_long {
            if self.problem.is_none() {
                self.problem = Some("the file does not end with a line break".into());
            }
            self.end_line();
        }
        (self.lines, self.problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> String {
        format!("{}\r\n", COLUMNS.join(","))
    }

    fn row(cells: &[&str]) -> String {
        let mut all: Vec<String> = cells.iter().map(|c| (*c).to_owned()).collect();
        all.resize(COLUMNS.len(), String::new());
        format!("{}\r\n", all.join(","))
    }

    fn facts(text: &str, format: ExportFormat) -> FileFacts {
        inspect(text.as_bytes(), format).unwrap()
    }

    #[test]
    fn csv_rows_are_records_after_the_header_even_when_cells_hold_line_breaks() {
        let text = format!(
            "{}{}{}",
            header(),
            row(&["a", "\"multi\r\nline, \"\"quoted\"\"\""]),
            row(&["b"])
        );
        let f = facts(&text, ExportFormat::Csv);
        assert_eq!(f.rows, 2);
        assert_eq!(f.problem, None);
        assert_eq!(f.bytes, text.len() as u64);
        assert_eq!(
            f.sha256,
            format!("{:x}", Sha256::digest(text.as_bytes())),
            "the hash is of the exact bytes"
        );
    }

    #[test]
    fn a_header_only_csv_has_no_rows_and_an_empty_file_is_not_a_csv_export() {
        assert_eq!(facts(&header(), ExportFormat::Csv).rows, 0);
        assert_eq!(facts(&header(), ExportFormat::Csv).problem, None);
        assert!(facts("", ExportFormat::Csv).problem.is_some());
    }

    #[test]
    fn broken_csv_structure_is_reported() {
        for broken in [
            format!("{}{}", header(), "a,b\r\n"),
            format!("{}{}", header(), row(&["\"open"]).trim_end()),
            format!("{}{}", header(), row(&["x\"y"])),
            "not,the,header\r\n".to_owned(),
            format!("{}{}", header(), row(&["a"]).trim_end()),
        ] {
            assert!(
                facts(&broken, ExportFormat::Csv).problem.is_some(),
                "{broken:?}"
            );
        }
    }

    #[test]
    fn ndjson_rows_are_lines_of_json_objects() {
        let good = "{\"a\":\"x\\ny\"}\n{\"a\":2}\n";
        assert_eq!(facts(good, ExportFormat::Ndjson).rows, 2);
        assert_eq!(facts(good, ExportFormat::Ndjson).problem, None);
        assert_eq!(facts("", ExportFormat::Ndjson).rows, 0);
        assert!(facts("{\"a\":1}\n[1]\n", ExportFormat::Ndjson)
            .problem
            .is_some());
        assert!(facts("{\"a\":1}", ExportFormat::Ndjson).problem.is_some());
    }
}
