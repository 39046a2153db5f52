//! A minimal, strict DER tag-length-value walker.
//!
//! The typed decoders (`cms`, `x509-cert`) re-encode what they parse; where a signature covers
//! the *received* bytes (signed attributes, a certificate's TBS) we must hash exactly those, so
//! this module hands out slices of the input. It accepts only single-byte tags and definite,
//! minimally encoded lengths (X.690 §10.1), and never panics on any input.

/// Why bytes are not a DER TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    /// Input ended inside a header or value.
    #[error("DER value is truncated")]
    Truncated,
    /// Multi-byte tags, indefinite or non-minimal lengths.
    #[error("not DER: unsupported tag or length encoding")]
    NotDer,
    /// A value of the wrong tag where another was required.
    #[error("unexpected DER tag 0x{found:02x}, wanted 0x{wanted:02x}")]
    UnexpectedTag {
        /// Tag found.
        found: u8,
        /// Tag required.
        wanted: u8,
    },
    /// Bytes left over after the value.
    #[error("trailing bytes after a DER value")]
    Trailing,
}

/// One TLV: its tag byte, its whole encoding and its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// Header and contents.
    pub raw: &'a [u8],
    /// Contents only.
    pub value: &'a [u8],
}

/// Reads the TLV at the start of `input`; returns it and the rest.
pub fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (&tag, rest) = input.split_first().ok_or(TlvError::Truncated)?;
    if tag & 0x1f == 0x1f {
        return Err(TlvError::NotDer);
    }
    let (&first, rest) = rest.split_first().ok_or(TlvError::Truncated)?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return Err(if n == 0 || n > 4 {
                TlvError::NotDer
            } else {
                TlvError::Truncated
            });
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | b as usize;
        }
        // Minimal encoding: no leading zero octet, and long form only for lengths >= 128.
        if rest[0] == 0 || len < 0x80 {
            return Err(TlvError::NotDer);
        }
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err(TlvError::Truncated);
    }
    let header_len = input.len() - rest.len();
    let raw = &input[..header_len + len];
    Ok((
        Tlv {
            tag,
            raw,
            value: &rest[..len],
        },
        &rest[len..],
    ))
}

/// Reads exactly one TLV with the given tag and nothing after it.
pub fn read_only(input: &[u8], tag: u8) -> Result<Tlv<'_>, TlvError> {
    let (tlv, rest) = read(input)?;
    if tlv.tag != tag {
        return Err(TlvError::UnexpectedTag {
            found: tlv.tag,
            wanted: tag,
        });
    }
    if !rest.is_empty() {
        return Err(TlvError::Trailing);
    }
    Ok(tlv)
}

/// Splits a constructed value's contents into its elements.
pub fn children(mut contents: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    while !contents.is_empty() {
        let (tlv, rest) = read(contents)?;
        out.push(tlv);
        contents = rest;
    }
    Ok(out)
}

/// Encodes a header for `tag` and `len` (DER minimal length).
pub fn header(tag: u8, len: usize) -> Vec<u8> {
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out
}

/// Encodes `tag`, DER length and `contents`.
pub fn encode(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = header(tag, contents.len());
    out.extend_from_slice(contents);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_forms() {
        let (t, rest) = read(&[0x30, 0x01, 0x05, 0xff]).unwrap();
        assert_eq!((t.tag, t.value, rest), (0x30, &[5u8][..], &[0xffu8][..]));
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(vec![7u8; 128]);
        assert_eq!(read(&long).unwrap().0.value.len(), 128);
        assert_eq!(header(0x04, 128), vec![0x04, 0x81, 0x80]);
        assert_eq!(header(0x04, 300), vec![0x04, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn rejects_ber_and_truncation() {
        assert_eq!(read(&[0x30, 0x80, 0, 0]), Err(TlvError::NotDer));
        assert_eq!(read(&[0x30, 0x81, 0x05, 0]), Err(TlvError::NotDer));
        assert_eq!(read(&[0x30, 0x05, 0]), Err(TlvError::Truncated));
        assert_eq!(read(&[]), Err(TlvError::Truncated));
        assert_eq!(read(&[0x1f, 0x01, 0]), Err(TlvError::NotDer));
        assert_eq!(read(&[0x30, 0x85, 1, 1, 1, 1, 1]), Err(TlvError::NotDer));
    }
}
