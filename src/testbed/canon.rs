//! RFC 8785 (JSON Canonicalization Scheme) output for the testbed's Rekor log.
//!
//! Rekor stores hashedrekord bodies as canonical JSON and signs entry timestamps over canonical
//! JSON (`{"body","integratedTime","logID","logIndex"}`). Everything the testbed canonicalises is
//! made of objects, strings and integers, so this serialiser supports exactly those (plus
//! arrays, booleans and null for completeness) and refuses non-integral numbers rather than
//! guess at ECMAScript number formatting (RFC 8785 §3.2.2.3). Keys are sorted by UTF-16 code
//! units (§3.2.3) explicitly, so the result does not depend on serde_json's map ordering
//! features. It must not be used to parse or validate client input.

use serde_json::Value;

/// Why a value cannot be canonicalised.
#[derive(Debug, thiserror::Error)]
#[error("RFC 8785 canonicalisation supports only integral numbers, got {0}")]
pub struct CanonError(String);

/// Serialise `v` as RFC 8785 canonical JSON.
pub fn to_canonical_json(v: &Value) -> Result<String, CanonError> {
    let mut out = String::new();
    write_value(v, &mut out)?;
    Ok(out)
}

fn write_value(v: &Value, out: &mut String) -> Result<(), CanonError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                return Err(CanonError(n.to_string()));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                if let Some(val) = map.get(*k) {
                    write_value(val, out)?;
                }
            }
            out.push('}');
        }
    }
    Ok(())
}

/// String escaping as ECMAScript `JSON.stringify` does it (RFC 8785 §3.2.2.2): the two-character
/// escapes for `"`, `\`, BS, FF, LF, CR, TAB; other controls as `\u00xx` in lowercase hex;
/// everything else (including non-ASCII) verbatim.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_has_no_whitespace() {
        let v = json!({"spec": {"b": 1, "a": "x"}, "apiVersion": "0.0.1", "kind": "hashedrekord"});
        assert_eq!(
            to_canonical_json(&v).expect("canonical"),
            r#"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"a":"x","b":1}}"#
        );
    }

    #[test]
    fn escapes_like_ecmascript() {
        let v = json!({"k": "a\"b\\c\n\u{1}é/"});
        assert_eq!(
            to_canonical_json(&v).expect("canonical"),
            "{\"k\":\"a\\\"b\\\\c\\n\\u0001é/\"}"
        );
        assert!(to_canonical_json(&json!(1.5)).is_err());
    }
}
