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

#[cfg(test)]
mod tests {
    use super::encode_component;

    #[test]
    fn reserved_and_non_ascii_characters_are_escaped() {
        assert_eq!(
            encode_component("17.acme:jira:a b&c/é"),
            "17.acme%3Ajira%3Aa%20b%26c%2F%C3%A9"
        );
        assert_eq!(encode_component("plain-Text_1.~"), "plain-Text_1.~");
    }
}
