//! The one tokenizer of the two query languages the simulator reads, JQL and Bitbucket's BBQL:
//! words, quoted strings, the comparison operators `= != ~ !~ > >= < <=`, parentheses, and (JQL
//! only) commas. What differs between them — quote characters, whether a comma is a token, and
//! how an error reads — is the [`Dialect`].

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A bare word: a field, keyword, function name, number or unquoted value.
    Word(String),
    /// A quoted string, unescaped.
    Str(String),
    /// A comparison operator.
    Op(&'static str),
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `,` (only in dialects that list values).
    Comma,
}

/// What sets one query language's tokens apart.
pub(crate) struct Dialect {
    /// Characters that open (and close) a quoted string.
    pub quotes: &'static str,
    /// Whether `,` separates values rather than belonging to a word.
    pub commas: bool,
    /// The error for a string left open, given what it held so far.
    pub unterminated: fn(&str) -> String,
    /// The error for a `!` followed by neither `=` nor `~`.
    pub lone_bang: fn() -> String,
}

/// The tokens of `query`.
///
/// # Errors
/// The dialect's message for an unterminated string or a lone `!`.
pub(crate) fn tokens(query: &str, dialect: &Dialect) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = query.chars().peekable();
    let ends_word = |ch: char| {
        ch.is_whitespace()
            || "()=!~<>".contains(ch)
            || dialect.quotes.contains(ch)
            || (dialect.commas && ch == ',')
    };
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' => {
                chars.next();
                out.push(if c == '(' { Tok::Open } else { Tok::Close });
            }
            ',' if dialect.commas => {
                chars.next();
                out.push(Tok::Comma);
            }
            q if dialect.quotes.contains(q) => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some(ch) if ch == q => break,
                        Some('\\') => s.extend(chars.next()),
                        Some(ch) => s.push(ch),
                        None => return Err((dialect.unterminated)(&s)),
                    }
                }
                out.push(Tok::Str(s));
            }
            '=' | '!' | '~' | '<' | '>' => {
                chars.next();
                let op = match (c, chars.peek().copied()) {
                    ('!', Some('=')) => "!=",
                    ('!', Some('~')) => "!~",
                    ('>', Some('=')) => ">=",
                    ('<', Some('=')) => "<=",
                    ('!', _) => return Err((dialect.lone_bang)()),
                    ('=', _) => "=",
                    ('~', _) => "~",
                    ('>', _) => ">",
                    _ => "<",
                };
                if op.len() == 2 {
                    chars.next();
                }
                out.push(Tok::Op(op));
            }
            _ => {
                let mut w = String::new();
                while let Some(&ch) = chars.peek() {
                    if ends_word(ch) {
                        break;
                    }
                    w.push(ch);
                    chars.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Dialect = Dialect {
        quotes: "\"",
        commas: false,
        unterminated: |s| format!("open: {s}"),
        lone_bang: || "bang".into(),
    };

    #[test]
    fn every_operator_and_bracket_is_a_token_of_its_own() {
        assert_eq!(
            tokens(r#"(a!=1 OR b>="x y")~c!~d<e"#, &PLAIN).unwrap(),
            vec![
                Tok::Open,
                Tok::Word("a".into()),
                Tok::Op("!="),
                Tok::Word("1".into()),
                Tok::Word("OR".into()),
                Tok::Word("b".into()),
                Tok::Op(">="),
                Tok::Str("x y".into()),
                Tok::Close,
                Tok::Op("~"),
                Tok::Word("c".into()),
                Tok::Op("!~"),
                Tok::Word("d".into()),
                Tok::Op("<"),
                Tok::Word("e".into()),
            ]
        );
    }

    #[test]
    fn commas_and_extra_quotes_belong_to_the_dialect() {
        let listing = Dialect {
            quotes: "\"'",
            commas: true,
            ..PLAIN
        };
        assert_eq!(
            tokens("a,'b'", &listing).unwrap(),
            vec![Tok::Word("a".into()), Tok::Comma, Tok::Str("b".into())]
        );
        assert_eq!(
            tokens("a,'b'", &PLAIN).unwrap(),
            vec![Tok::Word("a,'b'".into())]
        );
        assert_eq!(tokens("\"ab", &PLAIN), Err("open: ab".into()));
        assert_eq!(tokens("a ! b", &PLAIN), Err("bang".into()));
    }
}
