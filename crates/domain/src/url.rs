//! Building URLs the pages link to and the server redirects to.

/// Percent-encodes a query-string value (RFC 3986 unreserved characters pass through).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes a percent-encoded query-string value (`+` is a space, as forms send it); `None` when
/// an escape is malformed or the bytes are not UTF-8.
pub fn decode_component(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::{decode_component, encode_component};

    #[test]
    fn decoding_undoes_encoding_and_refuses_broken_escapes() {
        let text = "17.acme:jira:a b&c/é";
        assert_eq!(
            decode_component(&encode_component(text)).as_deref(),
            Some(text)
        );
        assert_eq!(decode_component("a+b").as_deref(), Some("a b"));
        assert_eq!(decode_component("%zz"), None);
        assert_eq!(decode_component("%4"), None);
    }

    #[test]
    fn reserved_and_non_ascii_characters_are_escaped() {
        assert_eq!(
            encode_component("17.acme:jira:a b&c/é"),
            "17.acme%3Ajira%3Aa%20b%26c%2F%C3%A9"
        );
        assert_eq!(encode_component("plain-Text_1.~"), "plain-Text_1.~");
    }
}
