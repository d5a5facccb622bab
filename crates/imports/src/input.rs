//! The file layer: a file is checked as a whole before any of its records is read — size,
//! compression (gzip, including truncation and decompression bombs), encoding (UTF-8, a byte
//! order mark allowed) and emptiness — and its SHA-256 is taken on the way. A file that fails is
//! rejected with the reason and nothing of it is stored.
//!
//! Then [`open`] hands the record layer a reader of its text: decompressed, without the byte
//! order mark, counting the file bytes consumed for the progress bar.

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The bounds a file must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest file accepted, as stored (compressed when it is).
    pub max_file_bytes: u64,
    /// The most text a compressed file may expand to.
    pub max_expanded_bytes: u64,
    /// The most a compressed file may expand by, as a ratio of its own size (checked once more
    /// than a megabyte came out): what a decompression bomb exceeds and real exports do not.
    pub max_ratio: u64,
    /// The longest single record (an NDJSON line, a CSV row, a JSON array element).
    pub max_record_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 2 * 1024 * 1024 * 1024,
            max_expanded_bytes: 16 * 1024 * 1024 * 1024,
            max_ratio: 100,
            max_record_bytes: 1024 * 1024,
        }
    }
}

/// What the file layer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The file's size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, hexadecimal.
    pub sha256: String,
    /// Whether it is gzip-compressed.
    pub gzip: bool,
    /// The size of its text (decompressed).
    pub text_bytes: u64,
}

/// Why a file was refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileRejection {
    /// Too big.
    #[error("the file is {size} bytes; at most {limit} are accepted (split it, or raise ATLASLENS_IMPORT_MAX_MB)")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// Nothing in it.
    #[error("the file is empty")]
    Empty,
    /// The gzip stream is broken.
    #[error(
        "the gzip data is damaged or cut short ({0}); nothing was imported — fetch the file again"
    )]
    BadGzip(String),
    /// It expands beyond the bounds.
    #[error("the compressed file expands beyond {0}; refused as a likely decompression bomb")]
    Bomb(String),
    /// Not UTF-8.
    #[error("the file is not UTF-8: invalid byte sequence at byte {offset} (line {line}); save it as UTF-8 and import it again")]
    NotUtf8 {
        /// Where, in the text.
        offset: u64,
        /// On which line.
        line: u64,
    },
    /// Unreadable.
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const BOM: [u8; 3] = [0xef, 0xbb, 0xbf];

/// A reader that counts what passed through it.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A reader of decompressed text that refuses to expand beyond the limits.
struct Bounded<R> {
    inner: R,
    compressed: Arc<AtomicU64>,
    expanded: u64,
    limits: Limits,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.expanded += n as u64;
        let compressed = self.compressed.load(Ordering::Relaxed).max(1);
        let why = if self.expanded > self.limits.max_expanded_bytes {
            Some(format!("{} bytes", self.limits.max_expanded_bytes))
        } else if self.expanded > 1024 * 1024 && self.expanded / compressed > self.limits.max_ratio
        {
            Some(format!("{} times its size", self.limits.max_ratio))
        } else {
            None
        };
        match why {
            Some(why) => Err(io::Error::other(BombError(why))),
            None => Ok(n),
        }
    }
}

#[derive(Debug)]
struct BombError(String);

impl std::fmt::Display for BombError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BombError {}

fn is_gzip(path: &Path) -> io::Result<bool> {
    let mut magic = [0u8; 2];
    let mut f = File::open(path)?;
    let mut got = 0;
    while got < 2 {
        match f.read(&mut magic[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got == 2 && magic == GZIP_MAGIC)
}

/// The text of `path`, decompressed and bounded, counting file bytes into `consumed`.
fn text_reader<'h>(
    path: &Path,
    gzip: bool,
    limits: Limits,
    consumed: Arc<AtomicU64>,
    hasher: Option<&'h mut Sha256>,
) -> io::Result<Box<dyn Read + 'h>> {
    let file = Counting {
        inner: File::open(path)?,
        count: consumed.clone(),
    };
    let file: Box<dyn Read + 'h> = match hasher {
        Some(h) => Box::new(Hashing {
            inner: file,
            hasher: h,
        }),
        None => Box::new(file),
    };
    Ok(if gzip {
        Box::new(Bounded {
            inner: MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, file)),
            compressed: consumed,
            expanded: 0,
            limits,
        })
    } else {
        file
    })
}

struct Hashing<'h, R> {
    inner: R,
    hasher: &'h mut Sha256,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Checks `path` as a whole (see the module), reporting file bytes read to `progress`.
///
/// # Errors
/// The [`FileRejection`] saying why the file is refused.
pub fn check(
    path: &Path,
    limits: Limits,
    progress: &mut dyn FnMut(u64),
) -> Result<Checked, FileRejection> {
    let unreadable = |e: io::Error| FileRejection::Unreadable(e.to_string());
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > limits.max_file_bytes {
        return Err(FileRejection::TooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    let gzip = is_gzip(path).map_err(unreadable)?;
    let mut hasher = Sha256::new();
    let consumed = Arc::new(AtomicU64::new(0));
    let mut text =
        text_reader(path, gzip, limits, consumed.clone(), Some(&mut hasher)).map_err(unreadable)?;
    let mut validator = Utf8Check::default();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match text.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return Err(
                    match e.get_ref().and_then(|i| i.downcast_ref::<BombError>()) {
                        Some(b) => FileRejection::Bomb(b.0.clone()),
                        None if gzip => FileRejection::BadGzip(e.to_string()),
                        None => FileRejection::Unreadable(e.to_string()),
                    },
                )
            }
        };
        validator.feed(&buf[..n])?;
        progress(consumed.load(Ordering::Relaxed));
    }
    validator.finish()?;
    drop(text);
    if validator.content == 0 {
        return Err(FileRejection::Empty);
    }
    let sha256 = store::digest::hex(&hasher.finalize());
    Ok(Checked {
        size,
        sha256,
        gzip,
        text_bytes: validator.total,
    })
}

/// Streaming UTF-8 validation across buffer boundaries, skipping a leading byte order mark and
/// counting bytes that are not white space (an empty file has none).
#[derive(Default)]
struct Utf8Check {
    pending: Vec<u8>,
    total: u64,
    line: u64,
    content: u64,
}

impl Utf8Check {
    fn feed(&mut self, chunk: &[u8]) -> Result<(), FileRejection> {
        let start = self.total - self.pending.len() as u64;
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(chunk);
        self.total += chunk.len() as u64;
        let mut body: &[u8] = &data;
        if start == 0 && body.len() >= 3 && body[..3] == BOM {
            body = &body[3..];
        }
        let (valid, rest) = match std::str::from_utf8(body) {
            Ok(_) => (body.len(), 0),
            Err(e) if e.error_len().is_none() => (e.valid_up_to(), body.len() - e.valid_up_to()),
            Err(e) => {
                let at = e.valid_up_to();
                let lines = body[..at].iter().filter(|b| **b == b'\n').count() as u64;
                return Err(FileRejection::NotUtf8 {
                    offset: start + (data.len() - body.len()) as u64 + at as u64,
                    line: self.line + lines + 1,
                });
            }
        };
        self.line += body[..valid].iter().filter(|b| **b == b'\n').count() as u64;
        self.content += body[..valid]
            .iter()
            .filter(|b| !b.is_ascii_whitespace())
            .count() as u64;
        self.pending = body[valid..valid + rest].to_vec();
        Ok(())
    }

    fn finish(&self) -> Result<(), FileRejection> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(FileRejection::NotUtf8 {
                offset: self.total - self.pending.len() as u64,
                line: self.line + 1,
            })
        }
    }
}

/// The text of a checked file, for the record layer: decompressed, without its byte order mark;
/// `consumed` counts the file bytes read so far.
///
/// # Errors
/// The file cannot be opened.
pub fn open(
    path: &Path,
    checked: &Checked,
    limits: Limits,
    consumed: Arc<AtomicU64>,
) -> io::Result<Box<dyn BufRead>> {
    let text = text_reader(path, checked.gzip, limits, consumed, None)?;
    let mut reader = BufReader::with_capacity(256 * 1024, text);
    let head = reader.fill_buf()?;
    if head.starts_with(&BOM) {
        reader.consume(3);
    }
    Ok(Box::new(reader))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn checked(bytes: &[u8]) -> Result<Checked, FileRejection> {
        check(file(bytes).path(), Limits::default(), &mut |_| {})
    }

    #[test]
    fn utf8_split_across_buffers_is_valid_and_a_bad_byte_is_located() {
        let mut v = Utf8Check::default();
        let text = "a\nü€\n".as_bytes();
        for b in text {
            v.feed(std::slice::from_ref(b)).unwrap();
        }
        v.finish().unwrap();
        let err = checked(b"{\"a\":1}\n{\"b\":\"\xff\"}\n").unwrap_err();
        assert_eq!(
            err,
            FileRejection::NotUtf8 {
                offset: 14,
                line: 2
            }
        );
    }

    #[test]
    fn a_bom_and_white_space_alone_are_an_empty_file() {
        assert_eq!(
            checked(b"\xef\xbb\xbf \r\n\n").unwrap_err(),
            FileRejection::Empty
        );
        assert_eq!(checked(b"").unwrap_err(), FileRejection::Empty);
    }

    #[test]
    fn a_cut_gzip_is_refused_and_a_whole_one_hashes_its_compressed_bytes() {
        let whole = gz(b"{\"id\":1}\n");
        let ok = checked(&whole).unwrap();
        assert!(ok.gzip);
        assert_eq!(ok.text_bytes, 9);
        let expected = store::digest::hex(&Sha256::digest(&whole));
        assert_eq!(ok.sha256, expected);
        let err = checked(&whole[..whole.len() - 6]).unwrap_err();
        assert!(matches!(err, FileRejection::BadGzip(_)), "{err}");
    }

    #[test]
    fn a_gzip_bomb_is_refused_by_its_ratio() {
        let bomb = gz(&vec![b' '; 64 * 1024 * 1024]);
        let err = checked(&bomb).unwrap_err();
        assert!(matches!(err, FileRejection::Bomb(_)), "{err}");
    }
}
