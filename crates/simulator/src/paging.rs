//! Page arithmetic shared by every endpoint: where an offset or page number starts (shifted back
//! one record per page when pages are made to overlap), what the next start is, and opaque
//! cursors that say which listing they belong to.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The first index served for a client at `offset` with page size `limit`. With overlapping
/// pages each page starts one record earlier per page already served, so the last record of a
/// page comes again as the first of the next while a client advancing `offset` by the page size
/// still reaches every record.
pub fn offset_start(offset: usize, limit: usize, duplicate: bool) -> usize {
    if duplicate && limit > 1 {
        offset - offset / limit
    } else {
        offset
    }
}

/// The start of the page after one that began at `start` and served `served` records.
pub fn next_start(start: usize, served: usize, duplicate: bool) -> usize {
    if duplicate && served > 1 {
        start + served - 1
    } else {
        start + served
    }
}

/// An opaque cursor for position `pos` of listing `tag`, carrying extra fields.
pub fn encode_cursor(tag: &str, pos: usize, extra: &[i64]) -> String {
    let mut s = format!("{tag}:{pos}");
    for e in extra {
        s.push_str(&format!(":{e}"));
    }
    URL_SAFE_NO_PAD.encode(s)
}

/// The position (and extra fields) of a cursor of listing `tag`; `None` for anything else.
pub fn decode_cursor(tag: &str, cursor: &str) -> Option<(usize, Vec<i64>)> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split(':');
    if parts.next()? != tag {
        return None;
    }
    let pos = parts.next()?.parse().ok()?;
    let extra = parts
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<i64>>>()?;
    Some((pos, extra))
}

/// Query parameters in order, repeated names kept (`state=OPEN&state=MERGED`).
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// The first value of `name`, if non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The comma-separated values of every occurrence of `name` (`id=1,2&id=3`), blanks dropped.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.all(name)
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A non-negative integer parameter: its default when absent, `Err` when unreadable.
    pub fn number(&self, name: &str, default: usize) -> Result<usize, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| format!("'{name}' must be a non-negative integer, got {v:?}")),
        }
    }

    /// A page size: default when absent, clamped to `1..=max`.
    pub fn limit(&self, name: &str, default: usize, max: usize) -> Result<usize, String> {
        Ok(self.number(name, default)?.clamp(1, max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_offset_pages_repeat_exactly_one_record_and_miss_none() {
        let (total, limit) = (23usize, 5usize);
        let mut seen: Vec<usize> = Vec::new();
        let mut offset = 0;
        loop {
            let start = offset_start(offset, limit, true);
            let page: Vec<usize> = (start..total).take(limit).collect();
            if let (Some(last), Some(first)) = (seen.last(), page.first()) {
                assert_eq!(
                    last, first,
                    "page at offset {offset} repeats the previous last record"
                );
            }
            seen.extend(&page);
            if page.len() < limit {
                break;
            }
            offset += page.len();
        }
        seen.dedup();
        assert_eq!(seen, (0..total).collect::<Vec<_>>());
    }

    #[test]
    fn cursors_round_trip_and_reject_other_listings() {
        let c = encode_cursor("events", 42, &[7, -1]);
        assert_eq!(decode_cursor("events", &c), Some((42, vec![7, -1])));
        assert_eq!(decode_cursor("pages", &c), None);
        assert_eq!(decode_cursor("events", "garbage!"), None);
    }
}
