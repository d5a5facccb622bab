//! The record layer's reading: the text of a checked file as a stream of JSON values, one per
//! record, each with where it was (`line 12`, `record 7`) so a reject can point at it. NDJSON
//! and CSV are read a line (a row) at a time and JSON arrays an element at a time, so memory
//! stays flat whatever the file's size; a record that cannot be read becomes an error item
//! (quarantined by the caller), never the end of the file.

use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, Read};
use std::rc::Rc;

/// How the records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON value per line.
    Ndjson,
    /// One JSON document: an array of records, or an API page holding one.
    Json,
    /// Comma-separated values with a header row.
    Csv,
    /// An XML document with one element per record ([`crate::xml`]).
    Xml,
}

impl Format {
    /// The name `--format` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ndjson => "ndjson",
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Xml => "xml",
        }
    }

    /// Parses a `--format` name (`json.gz` is JSON, compression is found from the bytes).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().trim_end_matches(".gz") {
            "ndjson" | "jsonl" => Some(Self::Ndjson),
            "json" => Some(Self::Json),
            "csv" => Some(Self::Csv),
            "xml" => Some(Self::Xml),
            _ => None,
        }
    }

    /// The format the text's start shows, with why. `None` when it is none of them.
    pub fn detect(head: &[u8]) -> Option<(Self, &'static str)> {
        let text = String::from_utf8_lossy(head);
        let text = text.trim_start_matches('\u{feff}').trim_start();
        let first_line = text.lines().next().unwrap_or("");
        match text.chars().next()? {
            '[' => Some((Self::Json, "the text starts with `[`")),
            '{' => match serde_json::from_str::<Value>(first_line.trim_end()) {
                Ok(v) if page_array(&v).is_none() => {
                    Some((Self::Ndjson, "the first line is a whole JSON object"))
                }
                _ => Some((Self::Json, "the text is one JSON document")),
            },
            '<' => Some((Self::Xml, "the text starts with `<`")),
            _ if first_line.contains(',') || first_line.contains(';') => {
                Some((Self::Csv, "the first line is a row of column names"))
            }
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The keys API pages keep their records under: Jira audit (`records`), Confluence audit and
/// search (`results`), the organization (`data`), Bitbucket and JSM (`values`), Jira search
/// (`issues`), and generic events (`events`).
const PAGE_KEYS: [&str; 6] = ["records", "results", "data", "values", "issues", "events"];

/// The records of an API page object, if it is one.
pub fn page_array(v: &Value) -> Option<&Vec<Value>> {
    let o = v.as_object()?;
    PAGE_KEYS.iter().find_map(|k| o.get(*k)?.as_array())
}

/// The records of a file, in order; `Err` once the file breaks its format's frame.
pub type Items<'a> = Box<dyn Iterator<Item = Result<Item, Broken>> + 'a>;

/// One record as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Where it was: `line 12`, `record 7`.
    pub at: String,
    /// The record, or why it cannot be read (with the text kept, shortened, for the reject).
    pub value: Result<Value, Unreadable>,
}

/// A record that is not a JSON value (or a CSV row that cannot be split).
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    /// Why.
    pub reason: String,
    /// The start of its text.
    pub text: String,
}

/// Why a whole file's records cannot be read further (the file breaks its format's frame).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Broken(pub String);

fn shorten(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    s.chars().take(2000).collect()
}

/// Reads a line into `buf` (without its `\n`), at most `limit` bytes kept; returns the bytes
/// consumed (0 at the end) and whether it was longer than the limit.
fn read_line(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<(usize, bool)> {
    buf.clear();
    let mut consumed = 0;
    let mut long = false;
    loop {
        let available = r.fill_buf()?;
        if available.is_empty() {
            return Ok((consumed, long));
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        let room = limit.saturating_sub(buf.len());
        if chunk.len() > room {
            long = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = done.unwrap_or(available.len());
        r.consume(used);
        consumed += used;
        if done.is_some() {
            return Ok((consumed, long));
        }
    }
}

/// NDJSON: one record per non-blank line (CRLF line ends allowed).
pub fn ndjson<'a>(
    mut r: Box<dyn BufRead + 'a>,
    limit: usize,
) -> impl Iterator<Item = Result<Item, Broken>> + 'a {
    let mut line = 0u64;
    let mut buf = Vec::new();
    std::iter::from_fn(move || loop {
        let (n, long) = match read_line(&mut *r, &mut buf, limit) {
            Ok(x) => x,
            Err(e) => return Some(Err(Broken(e.to_string()))),
        };
        if n == 0 {
            return None;
        }
        line += 1;
        let text = buf.trim_ascii();
        if text.is_empty() {
            continue;
        }
        let value = if long {
            Err(Unreadable {
                reason: format!("the line is longer than {limit} bytes"),
                text: shorten(text),
            })
        } else {
            serde_json::from_slice::<Value>(text).map_err(|e| Unreadable {
                reason: format!("the line is not JSON: {e}"),
                text: shorten(text),
            })
        };
        return Some(Ok(Item {
            at: format!("line {line}"),
            value,
        }));
    })
}

/// A JSON document. A top-level array is streamed an element at a time; an object is read whole
/// (up to `whole_limit` bytes) and its records taken from the page key it has.
pub fn json<'a>(
    mut r: Box<dyn BufRead + 'a>,
    limit: usize,
    whole_limit: u64,
) -> Result<Items<'a>, Broken> {
    let first = loop {
        let buf = r.fill_buf().map_err(|e| Broken(e.to_string()))?;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                r.consume(i);
                break b;
            }
            None if buf.is_empty() => return Err(Broken("the document is empty".into())),
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    };
    if first == b'[' {
        r.consume(1);
        return Ok(Box::new(ArrayElements {
            r,
            index: 0,
            limit,
            done: false,
        }));
    }
    let mut text = Vec::new();
    let read = r
        .take(whole_limit + 1)
        .read_to_end(&mut text)
        .map_err(|e| Broken(e.to_string()))?;
    if read as u64 > whole_limit {
        return Err(Broken(format!(
            "a JSON document that is not an array is read whole, and this one is over {whole_limit} bytes; write it as NDJSON or as a top-level array"
        )));
    }
    let doc: Value = serde_json::from_slice(&text)
        .map_err(|e| Broken(format!("the document is not JSON: {e}")))?;
    let records = match doc {
        Value::Object(mut o) => {
            match PAGE_KEYS
                .iter()
                .find(|k| o.get(**k).is_some_and(Value::is_array))
            {
                Some(k) => match o.remove(*k) {
                    Some(Value::Array(a)) => a,
                    _ => unreachable!("checked to be an array"),
                },
                // One record on its own.
                None => vec![Value::Object(o)],
            }
        }
        other => vec![other],
    };
    Ok(Box::new(records.into_iter().enumerate().map(|(i, v)| {
        Ok(Item {
            at: format!("record {}", i + 1),
            value: Ok(v),
        })
    })))
}

/// The elements of a JSON array, split by tracking strings and nesting, each parsed on its own.
struct ArrayElements<'a> {
    r: Box<dyn BufRead + 'a>,
    index: u64,
    limit: usize,
    done: bool,
}

impl ArrayElements<'_> {
    /// The next element's text (`None` at the closing `]`), or a broken frame.
    fn next_text(&mut self) -> Result<Option<(Vec<u8>, bool)>, Broken> {
        let mut text = Vec::new();
        let (mut depth, mut in_string, mut escaped, mut long) = (0usize, false, false, false);
        loop {
            let buf = self.r.fill_buf().map_err(|e| Broken(e.to_string()))?;
            if buf.is_empty() {
                return Err(Broken(
                    "the JSON array ends before its closing `]`; the file may be cut short".into(),
                ));
            }
            let mut used = 0;
            let mut end = None;
            for (i, &b) in buf.iter().enumerate() {
                used = i + 1;
                if in_string {
                    match (escaped, b) {
                        (true, _) => escaped = false,
                        (false, b'\\') => escaped = true,
                        (false, b'"') => in_string = false,
                        _ => {}
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' if depth > 0 => depth -= 1,
                        b']' => {
                            end = Some(true);
                            break;
                        }
                        b',' if depth == 0 => {
                            end = Some(false);
                            break;
                        }
                        _ => {}
                    }
                }
                if text.len() < self.limit {
                    text.push(b);
                } else {
                    long = true;
                }
            }
            self.r.consume(used);
            match end {
                Some(closing) => {
                    if closing {
                        self.done = true;
                        if text.trim_ascii().is_empty() {
                            return Ok(None);
                        }
                    }
                    return Ok(Some((text, long)));
                }
                None => continue,
            }
        }
    }
}

impl Iterator for ArrayElements<'_> {
    type Item = Result<Item, Broken>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (text, long) = match self.next_text() {
            Ok(Some(t)) => t,
            Ok(None) => return None,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        self.index += 1;
        let text = text.trim_ascii();
        let value = if long {
            Err(Unreadable {
                reason: format!("the record is longer than {} bytes", self.limit),
                text: shorten(text),
            })
        } else {
            serde_json::from_slice::<Value>(text).map_err(|e| Unreadable {
                reason: format!("the record is not JSON: {e}"),
                text: shorten(text),
            })
        };
        Some(Ok(Item {
            at: format!("record {}", self.index),
            value,
        }))
    }
}

/// CSV with a header row: each row becomes an object of column name to cell text (cells may be
/// quoted and hold commas, quotes and line breaks; `;` separates when the header has no comma).
pub fn csv<'a>(
    mut r: Box<dyn BufRead + 'a>,
    limit: usize,
) -> Result<(Vec<String>, Items<'a>), Broken> {
    let head = r.fill_buf().map_err(|e| Broken(e.to_string()))?;
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let delimiter = if !first_line.contains(&b',') && first_line.contains(&b';') {
        b';'
    } else {
        b','
    };
    let newlines = Rc::new(RefCell::new(VecDeque::new()));
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(::csv::Trim::Headers)
        .from_reader(NewlineOffsets {
            inner: r,
            offset: 0,
            newlines: newlines.clone(),
        });
    let mut line = 1u64;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Broken(format!("the header row cannot be read: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(Broken("the header row names no columns".into()));
    }
    let names = headers.clone();
    let mut record = ::csv::ByteRecord::new();
    let rows = std::iter::from_fn(move || loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return None,
            Ok(true) => {
                // The row's first line: one more than the line breaks before its first byte.
                let start = record.position().map_or(0, ::csv::Position::byte);
                let mut seen = newlines.borrow_mut();
                while seen.front().is_some_and(|n| *n <= start) {
                    seen.pop_front();
                    line += 1;
                }
                drop(seen);
                if record.iter().all(|c| c.trim_ascii().is_empty()) {
                    continue;
                }
                let at = format!("line {line}");
                let size: usize = record.iter().map(<[u8]>::len).sum();
                let value = if size > limit {
                    Err(Unreadable {
                        reason: format!("the row is longer than {limit} bytes"),
                        text: shorten(record.as_slice()),
                    })
                } else if record.len() > names.len() {
                    Err(Unreadable {
                        reason: format!(
                            "the row has {} cells but the header names {} columns",
                            record.len(),
                            names.len()
                        ),
                        text: shorten(record.as_slice()),
                    })
                } else {
                    let mut row = Map::new();
                    for (name, cell) in names.iter().zip(record.iter()) {
                        row.insert(
                            name.clone(),
                            Value::String(String::from_utf8_lossy(cell).into_owned()),
                        );
                    }
                    Ok(Value::Object(row))
                };
                return Some(Ok(Item { at, value }));
            }
            Err(e) => return Some(Err(Broken(format!("the CSV cannot be read further: {e}")))),
        }
    });
    Ok((headers, Box::new(rows)))
}

/// A reader noting the offset of every line break that passes, so a CSV row (which may span
/// lines) can be given the line it starts on whatever the line ends (`\n` or `\r\n`).
struct NewlineOffsets<R> {
    inner: R,
    offset: u64,
    newlines: Rc<RefCell<VecDeque<u64>>>,
}

impl<R: Read> Read for NewlineOffsets<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut seen = self.newlines.borrow_mut();
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                seen.push_back(self.offset + i as u64);
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(s: &str) -> Box<dyn BufRead + '_> {
        Box::new(std::io::BufReader::with_capacity(7, s.as_bytes()))
    }

    fn values(items: Vec<Result<Item, Broken>>) -> Vec<(String, Value)> {
        items
            .into_iter()
            .map(|i| {
                let i = i.unwrap();
                (i.at, i.value.unwrap())
            })
            .collect()
    }

    #[test]
    fn ndjson_lines_are_numbered_as_written_skipping_blank_ones_with_crlf() {
        let got = values(ndjson(reader("{\"a\":1}\r\n\r\n{\"a\":2}\r\n"), 100).collect());
        assert_eq!(
            got,
            vec![
                ("line 1".into(), serde_json::json!({"a": 1})),
                ("line 3".into(), serde_json::json!({"a": 2}))
            ]
        );
        let bad: Vec<_> = ndjson(reader("{\"a\":\n{\"b\":2}\n"), 100).collect();
        assert!(bad[0].as_ref().unwrap().value.is_err());
        assert!(bad[1].as_ref().unwrap().value.is_ok());
    }

    #[test]
    fn array_elements_stream_one_at_a_time_with_brackets_and_commas_inside_strings() {
        let text = r#" [ {"s": "a],\"{b"}, [1, 2] ,3 ] "#;
        let got = values(json(reader(text), 100, 1000).unwrap().collect());
        assert_eq!(got[0].1, serde_json::json!({"s": "a],\"{b"}));
        assert_eq!(got[1].1, serde_json::json!([1, 2]));
        assert_eq!(got[2], ("record 3".into(), serde_json::json!(3)));
        assert!(values(json(reader("[ ]"), 100, 1000).unwrap().collect()).is_empty());
        let cut: Vec<_> = json(reader("[{\"a\":1},{\"b\""), 100, 1000)
            .unwrap()
            .collect();
        assert!(cut[0].is_ok());
        assert!(cut[1].is_err(), "a cut array is a broken file");
    }

    #[test]
    fn an_api_page_gives_its_records() {
        let text = r#"{"offset":0,"limit":2,"total":2,"records":[{"id":1},{"id":2}]}"#;
        let got = values(json(reader(text), 100, 1000).unwrap().collect());
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, "record 2");
    }

    #[test]
    fn csv_cells_may_hold_quotes_commas_and_line_breaks_and_keep_their_line() {
        let text = "Date,Summary\r\n2026-01-01T00:00:00Z,\"one, \"\"two\"\"\r\nthree\"\r\n2026-01-02T00:00:00Z,four\r\n";
        let (headers, rows) = csv(reader(text), 1000).unwrap();
        assert_eq!(headers, vec!["Date", "Summary"]);
        let got = values(rows.collect());
        assert_eq!(got[0].0, "line 2");
        assert_eq!(got[0].1["Summary"], "one, \"two\"\r\nthree");
        assert_eq!(got[1].0, "line 4");
        let lf = text.replace("\r\n", "\n");
        let (_, rows) = csv(reader(&lf), 1000).unwrap();
        let got = values(rows.collect());
        assert_eq!((got[0].0.as_str(), got[1].0.as_str()), ("line 2", "line 4"));
    }

    #[test]
    fn formats_are_told_from_the_first_bytes() {
        assert_eq!(Format::detect(b"  [{").unwrap().0, Format::Json);
        assert_eq!(
            Format::detect(b"{\"a\":1}\n{\"a\":2}").unwrap().0,
            Format::Ndjson
        );
        assert_eq!(Format::detect(b"{\n  \"a\": 1\n}").unwrap().0, Format::Json);
        assert_eq!(Format::detect(b"{\"records\":[]}").unwrap().0, Format::Json);
        assert_eq!(Format::detect(b"Date,Action\n").unwrap().0, Format::Csv);
        assert_eq!(
            Format::detect(b"\xef\xbb\xbfDate;Action\n").unwrap().0,
            Format::Csv
        );
        assert_eq!(Format::detect(b"<?xml version").unwrap().0, Format::Xml);
        assert!(Format::detect(b"hello").is_none());
    }
}
