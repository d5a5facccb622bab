//! XML exports: a root element holding one element per record, each read into a JSON object
//! (child elements become fields, repeated ones arrays, attributes fields too, nested elements
//! objects), then recognised and normalised like any JSON record.
//!
//! Entity expansion is impossible by construction: a document that declares a DOCTYPE is refused
//! before its first record, and the parser (quick-xml) never expands entities itself — only the
//! five predefined ones and character references are read; any other `&name;` leaves its record
//! rejected with the reason.

use crate::records::{Broken, Item, Items, Unreadable};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};
use std::io::BufRead;

/// One element being read: its name, its fields so far and its text.
struct Frame {
    name: String,
    fields: Map<String, Value>,
    text: String,
}

impl Frame {
    fn open(e: &BytesStart<'_>) -> Result<Self, String> {
        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        let mut fields = Map::new();
        for a in e.attributes() {
            let a = a.map_err(|e| format!("an attribute cannot be read: {e}"))?;
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
            let value = a
                .unescape_value()
                .map_err(|e| format!("attribute `{key}` cannot be read (entities other than the five predefined ones are not expanded): {e}"))?;
            fields.insert(key, Value::String(value.into_owned()));
        }
        Ok(Self {
            name,
            fields,
            text: String::new(),
        })
    }

    /// The element's value: its text when it has no fields, else its fields (and its text, if
    /// any, under `#text`).
    fn close(self) -> (String, Value) {
        let text = self.text.trim().to_owned();
        let value = if self.fields.is_empty() {
            Value::String(text)
        } else {
            let mut fields = self.fields;
            if !text.is_empty() {
                fields.insert("#text".into(), Value::String(text));
            }
            Value::Object(fields)
        };
        (self.name, value)
    }
}

/// Adds a child's value to `fields`; a repeated name becomes an array.
fn put(fields: &mut Map<String, Value>, name: String, value: Value) {
    match fields.get_mut(&name) {
        None => {
            fields.insert(name, value);
        }
        Some(Value::Array(a)) => a.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// The records of an XML document (see the module).
///
/// # Errors
/// A document that declares a DOCTYPE, or that cannot be read up to its root element.
pub fn xml<'a>(r: Box<dyn BufRead + 'a>, limit: usize) -> Result<Items<'a>, Broken> {
    // Text is kept as written (a space beside `&amp;` matters) and trimmed per element.
    let mut reader = Reader::from_reader(r);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::DocType(_)) => {
                return Err(Broken(
                    "the XML document declares a DOCTYPE; documents with type declarations are refused so that no entity can be expanded — remove the DOCTYPE".into(),
                ))
            }
            Ok(Event::Start(_)) => break,
            Ok(Event::Text(t)) if t.iter().all(u8::is_ascii_whitespace) => {}
            Ok(Event::Empty(_) | Event::Eof) => {
                return Err(Broken("the XML document holds no records".into()))
            }
            Ok(Event::Text(_) | Event::GeneralRef(_) | Event::CData(_)) => {
                return Err(Broken("the XML document has text outside its root element".into()))
            }
            Ok(_) => {}
            Err(e) => return Err(Broken(format!("the XML cannot be read: {e}"))),
        }
        buf.clear();
    }
    Ok(Box::new(XmlRecords {
        reader,
        buf: Vec::new(),
        index: 0,
        limit,
        done: false,
    }))
}

struct XmlRecords<'a> {
    reader: Reader<Box<dyn BufRead + 'a>>,
    buf: Vec<u8>,
    index: u64,
    limit: usize,
    done: bool,
}

impl XmlRecords<'_> {
    /// The next record element, or `None` at the root's end.
    fn next_record(&mut self) -> Result<Option<Item>, Broken> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut size = 0usize;
        let mut fault: Option<String> = None;
        loop {
            self.buf.clear();
            let event = self
                .reader
                .read_event_into(&mut self.buf)
                .map_err(|e| Broken(format!("the XML cannot be read further: {e}")))?;
            match event {
                Event::Start(e) => match Frame::open(&e) {
                    Ok(f) => stack.push(f),
                    Err(why) => {
                        fault.get_or_insert(why);
                        stack.push(Frame {
                            name: String::new(),
                            fields: Map::new(),
                            text: String::new(),
                        });
                    }
                },
                Event::Empty(e) => {
                    let frame = Frame::open(&e).unwrap_or_else(|why| {
                        fault.get_or_insert(why);
                        Frame {
                            name: String::new(),
                            fields: Map::new(),
                            text: String::new(),
                        }
                    });
                    let (name, value) = frame.close();
                    match stack.last_mut() {
                        Some(parent) => put(&mut parent.fields, name, value),
                        None => return Ok(Some(self.item(value, fault))),
                    }
                }
                Event::Text(t) => {
                    let text = t
                        .decode()
                        .map_err(|e| Broken(format!("the XML text cannot be read: {e}")))?;
                    size += text.len();
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&text);
                    }
                }
                Event::CData(t) => {
                    let text = String::from_utf8_lossy(&t).into_owned();
                    size += text.len();
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&text);
                    }
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c.to_string()),
                        Ok(None) => {
                            let name = String::from_utf8_lossy(&r).into_owned();
                            quick_xml::escape::resolve_predefined_entity(&name).map(str::to_owned).or_else(|| {
                                fault.get_or_insert(format!("the entity `&{name};` is not expanded (only the five predefined ones are)"));
                                None
                            })
                        }
                        Err(e) => {
                            fault.get_or_insert(format!(
                                "a character reference cannot be read: {e}"
                            ));
                            None
                        }
                    };
                    if let (Some(text), Some(top)) = (resolved, stack.last_mut()) {
                        top.text.push_str(&text);
                    }
                }
                Event::End(_) => match stack.pop() {
                    // The root closes: no more records.
                    None => return Ok(None),
                    Some(frame) => {
                        let (name, value) = frame.close();
                        match stack.last_mut() {
                            Some(parent) => put(&mut parent.fields, name, value),
                            None => {
                                if size > self.limit {
                                    fault.get_or_insert(format!(
                                        "the record is longer than {} bytes",
                                        self.limit
                                    ));
                                }
                                return Ok(Some(self.item(value, fault)));
                            }
                        }
                    }
                },
                Event::DocType(_) => {
                    return Err(Broken("a DOCTYPE inside the document is refused".into()))
                }
                Event::Eof => {
                    return Err(Broken(
                        "the XML ends before its root element closes; the file may be cut short"
                            .into(),
                    ))
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            }
            if size > self.limit.saturating_mul(4) {
                return Err(Broken(format!(
                    "a record is far longer than {} bytes",
                    self.limit
                )));
            }
        }
    }

    fn item(&mut self, value: Value, fault: Option<String>) -> Item {
        self.index += 1;
        let value = match fault {
            None => Ok(value),
            Some(reason) => Err(Unreadable {
                reason,
                text: value.to_string().chars().take(2000).collect(),
            }),
        };
        Item {
            at: format!("record {}", self.index),
            value,
        }
    }
}

impl Iterator for XmlRecords<'_> {
    type Item = Result<Item, Broken>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_record() {
            Ok(Some(item)) => Some(Ok(item)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn records(text: &str) -> Result<Vec<Result<Item, Broken>>, Broken> {
        let r: Box<dyn BufRead> = Box::new(std::io::BufReader::with_capacity(
            5,
            std::io::Cursor::new(text.as_bytes().to_vec()),
        ));
        xml(r, 10_000).map(Iterator::collect)
    }

    #[test]
    fn each_child_of_the_root_is_a_record_of_its_fields() {
        let text = r#"<?xml version="1.0" encoding="UTF-8"?>
            <!-- an export -->
            <events>
              <event kind="audit"><id>1</id><occurred_at>2026-11-30T08:15:00Z</occurred_at>
                <operation>login</operation><actor><email>dana@example.com</email></actor>
                <tag>a</tag><tag>b</tag><note>Fish &amp; chips &#x263A;</note><empty/></event>
              <event><id>2</id><note><![CDATA[<not> a tag]]></note></event>
            </events>"#;
        let got: Vec<Value> = records(text)
            .unwrap()
            .into_iter()
            .map(|i| i.unwrap().value.unwrap())
            .collect();
        assert_eq!(
            got[0],
            json!({"kind": "audit", "id": "1", "occurred_at": "2026-11-30T08:15:00Z", "operation": "login",
                   "actor": {"email": "dana@example.com"}, "tag": ["a", "b"], "note": "Fish & chips ☺", "empty": ""})
        );
        assert_eq!(got[1], json!({"id": "2", "note": "<not> a tag"}));
    }

    #[test]
    fn a_doctype_is_refused_before_any_record_and_unknown_entities_are_not_expanded() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><events><event><x>&lol2;</x></event></events>"#;
        let err = records(bomb).expect_err("refused");
        assert!(err.0.contains("DOCTYPE"), "{err}");
        let undeclared = "<events><event><x>&lol;</x></event><event><x>ok</x></event></events>";
        let items = records(undeclared).unwrap();
        let first = items[0].as_ref().unwrap();
        assert!(
            first.value.as_ref().unwrap_err().reason.contains("&lol;"),
            "{first:?}"
        );
        assert!(
            items[1].as_ref().unwrap().value.is_ok(),
            "the next record is read"
        );
    }

    #[test]
    fn a_document_cut_short_is_broken_after_the_records_it_holds() {
        let items = records("<events><event><id>1</id></event><event><id>2</id>").unwrap();
        assert!(items[0].is_ok());
        assert!(items[1].as_ref().unwrap_err().0.contains("cut short"));
    }
}
