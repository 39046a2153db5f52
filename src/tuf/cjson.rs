//! OLPC canonical JSON (<http://wiki.laptop.org/go/Canonical_JSON>), the byte form TUF
//! signatures cover (TUF spec §4.2 "File formats: general principles"): object keys sorted,
//! no whitespace, only `"` and `\` escaped, integers only.
//!
//! Written to match securesystemslib's `encode_canonical` (the serializer python-tuf signs
//! with) byte for byte: keys are sorted by code point (Python's `sorted` on `str`; Rust's
//! `String` order is UTF-8 byte order, which is the same order), strings are emitted as raw
//! UTF-8 with only backslash and quote escaped (control characters included verbatim), and a
//! float is refused rather than guessed at. A dozen lines, so no `olpc-cjson` crate (README,
//! "Trust root updates (TUF)"). Pure.

use serde_json::Value;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("metadata is not canonical-JSON encodable: {0}")]
pub struct CjsonError(&'static str);

/// The canonical bytes of `v`.
pub fn encode(v: &Value) -> Result<Vec<u8>, CjsonError> {
    let mut out = Vec::with_capacity(1024);
    write(v, &mut out)?;
    Ok(out)
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn write(v: &Value, out: &mut Vec<u8>) -> Result<(), CjsonError> {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            // Integers only (securesystemslib raises on floats).
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(CjsonError("a number that is not an integer"));
            }
        }
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Sorted explicitly: serde_json's map keeps insertion order when another crate in
            // the build enables `preserve_order`.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(k, out);
                out.push(b':');
                write(val, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        String::from_utf8(encode(&serde_json::from_str(s).unwrap()).unwrap()).unwrap()
    }

    /// securesystemslib's doctests and the OLPC rules: sorting, no whitespace, escaping only
    /// quote and backslash, raw UTF-8 and control characters.
    #[test]
    fn matches_securesystemslib() {
        assert_eq!(enc(r#""""#), r#""""#);
        assert_eq!(enc("[1, 2, 3]"), "[1,2,3]");
        assert_eq!(enc("[]"), "[]");
        assert_eq!(enc(r#"{"A": [99]}"#), r#"{"A":[99]}"#);
        assert_eq!(enc(r#"{"y" : 2, "x" : 3}"#), r#"{"x":3,"y":2}"#);
        assert_eq!(
            enc(r#"{"b": null, "a": true, "B": false, "é": -1}"#),
            r#"{"B":false,"a":true,"b":null,"é":-1}"#
        );
        assert_eq!(enc(r#""q\"b\\n\n\u0001é""#), "\"q\\\"b\\\\n\n\u{1}é\"");
        assert_eq!(enc("18446744073709551615"), "18446744073709551615");
    }

    #[test]
    fn floats_are_refused() {
        let v: Value = serde_json::from_str(r#"{"a": 1.5}"#).unwrap();
        assert!(encode(&v).is_err());
    }
}
