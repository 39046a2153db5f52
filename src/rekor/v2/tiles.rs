//! C2SP `tlog-tiles`: how a tiled log names its tiles, and the Merkle hashes read from them.
//!
//! A tile at level `L`, index `N` holds up to 256 consecutive 32-byte hashes of the tree's
//! nodes at height `8·L` (level 0: leaf hashes), starting with node `256·N`; a *partial* tile
//! (`.p/<W>`, 1 ≤ W ≤ 255) holds the first `W`. Indices are written as 3-digit groups, every
//! group but the last prefixed with `x` (`1234067` → `x001/x234/067`). Entry bundles
//! (`tile/entries/<N>`) hold the entries themselves, each prefixed with its length as a
//! 2-byte big-endian integer.
//!
//! [`TileReader`] computes any node hash, the tree root and RFC 6962 audit paths from tiles
//! alone, so a client can check a checkpoint and an inclusion proof against what the log
//! serves, independently of the proof the log handed out. Pure: tiles come from a closure.

use crate::rekor::merkle::node_hash;

/// Hashes per full tile (tile height 8).
pub const TILE_WIDTH: u64 = 256;
/// The height of a tile in tree levels.
pub const TILE_HEIGHT: u32 = 8;

/// Why tiles could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// A tile path does not follow the encoding.
    #[error("malformed tile path {0:?}")]
    BadPath(String),
    /// A tile the tree needs could not be read.
    #[error("tile {0} is not available")]
    Missing(String),
    /// A tile has the wrong length for its width.
    #[error("tile {path} has {len} bytes, not {expected}")]
    WrongLength {
        /// Tile path.
        path: String,
        /// Bytes received.
        len: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// The node asked for is not inside the tree.
    #[error("node at height {height}, index {index} is outside a tree of size {tree_size}")]
    OutOfTree {
        /// Height.
        height: u32,
        /// Index at that height.
        index: u64,
        /// Tree size.
        tree_size: u64,
    },
}

/// `N` in the C2SP encoding: 3-digit groups, all but the last prefixed with `x`.
pub fn encode_index(n: u64) -> String {
    let mut groups = Vec::new();
    let mut n = n;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let last = groups.len() - 1;
    groups
        .iter()
        .rev()
        .enumerate()
        .map(|(i, g)| {
            if i == last {
                format!("{g:03}")
            } else {
                format!("x{g:03}")
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The path of a hash tile, e.g. `tile/0/x001/234` or `tile/1/000.p/17`. `width` is the
/// number of hashes; 256 (or more) names the full tile.
pub fn tile_path(level: u32, index: u64, width: u64) -> String {
    let mut p = format!("tile/{level}/{}", encode_index(index));
    if width < TILE_WIDTH {
        p.push_str(&format!(".p/{width}"));
    }
    p
}

/// The path of an entry bundle, e.g. `tile/entries/000.p/3`.
pub fn entries_path(index: u64, width: u64) -> String {
    let mut p = format!("tile/entries/{}", encode_index(index));
    if width < TILE_WIDTH {
        p.push_str(&format!(".p/{width}"));
    }
    p
}

/// Parses the `<N>[.p/<W>]` part of a tile path (after `tile/<L>/` or `tile/entries/`):
/// the index and the width (256 for a full tile). Strict: every group exactly three digits,
/// `x` on all but the last, `W` in 1..=255 without leading zeros.
pub fn parse_index(s: &str) -> Result<(u64, u64), TileError> {
    let bad = || TileError::BadPath(s.chars().take(100).collect());
    let (n, width) = match s.split_once(".p/") {
        Some((n, w)) => {
            let ok = !w.is_empty()
                && w.len() <= 3
                && w.bytes().all(|b| b.is_ascii_digit())
                && !w.starts_with('0');
            let w: u64 = if ok {
                w.parse().map_err(|_| bad())?
            } else {
                return Err(bad());
            };
            if !(1..TILE_WIDTH).contains(&w) {
                return Err(bad());
            }
            (n, w)
        }
        None => (s, TILE_WIDTH),
    };
    let groups: Vec<&str> = n.split('/').collect();
    // u64 has 20 digits: at most 7 groups.
    if groups.len() > 7 {
        return Err(bad());
    }
    let mut index: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let digits = if i + 1 < groups.len() {
            g.strip_prefix('x').ok_or_else(bad)?
        } else {
            g
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let v: u64 = digits.parse().map_err(|_| bad())?;
        index = index
            .checked_mul(1000)
            .and_then(|x| x.checked_add(v))
            .ok_or_else(bad)?;
    }
    if encode_index(index) != n {
        // Leading all-zero groups (`x000/001`): another spelling of the same tile.
        return Err(bad());
    }
    Ok((index, width))
}

/// Splits an entry bundle into its entries (2-byte big-endian length prefixes).
pub fn split_entry_bundle(bundle: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = bundle;
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return None;
        }
        out.push(&tail[..len]);
        rest = &tail[len..];
    }
    Some(out)
}

/// Computes hashes of a tree of `tree_size` leaves from its tiles.
pub struct TileReader<F> {
    tree_size: u64,
    fetch: F,
}

impl<F> TileReader<F>
where
    F: FnMut(&str) -> Option<Vec<u8>>,
{
    /// A reader for a tree of `tree_size` leaves; `fetch` returns the bytes at a tile path
    /// (`tile/…`, see [`tile_path`]) or `None`.
    pub fn new(tree_size: u64, fetch: F) -> Self {
        Self { tree_size, fetch }
    }

    /// The hash of the complete node at `height` covering leaves `index·2^height ..`.
    pub fn node(&mut self, height: u32, index: u64) -> Result<[u8; 32], TileError> {
        let out = || TileError::OutOfTree {
            height,
            index,
            tree_size: self.tree_size,
        };
        let end = index
            .checked_add(1)
            .and_then(|i| i.checked_mul(1u64.checked_shl(height)?))
            .ok_or_else(out)?;
        if height >= 64 || end > self.tree_size {
            return Err(out());
        }
        if !height.is_multiple_of(TILE_HEIGHT) {
            let l = self.node(height - 1, index * 2)?;
            let r = self.node(height - 1, index * 2 + 1)?;
            return Ok(node_hash(&l, &r));
        }
        let level = height / TILE_HEIGHT;
        let tile = index / TILE_WIDTH;
        let pos = index % TILE_WIDTH;
        // The widest tile the tree has at this level and index.
        let nodes_at_height = self.tree_size >> height;
        let width = (nodes_at_height - tile * TILE_WIDTH).min(TILE_WIDTH);
        let path = tile_path(level, tile, width);
        let bytes = (self.fetch)(&path).ok_or_else(|| TileError::Missing(path.clone()))?;
        let expected = usize::try_from(width * 32).unwrap_or(usize::MAX);
        if bytes.len() != expected {
            return Err(TileError::WrongLength {
                path,
                len: bytes.len(),
                expected,
            });
        }
        let at = usize::try_from(pos * 32).unwrap_or(usize::MAX);
        let mut h = [0u8; 32];
        h.copy_from_slice(&bytes[at..at + 32]);
        Ok(h)
    }

    /// MTH of leaves `lo..hi` (RFC 6962 §2.1), from complete nodes.
    fn range(&mut self, lo: u64, hi: u64) -> Result<[u8; 32], TileError> {
        let n = hi - lo;
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            return self.node(n.trailing_zeros(), lo / n);
        }
        // k: the largest power of two smaller than n.
        let k = 1u64 << (63 - (n - 1).leading_zeros());
        let l = self.range(lo, lo + k)?;
        let r = self.range(lo + k, hi)?;
        Ok(node_hash(&l, &r))
    }

    /// The root hash of the whole tree (the checkpoint's).
    pub fn root(&mut self) -> Result<[u8; 32], TileError> {
        if self.tree_size == 0 {
            return Err(TileError::OutOfTree {
                height: 0,
                index: 0,
                tree_size: 0,
            });
        }
        self.range(0, self.tree_size)
    }

    /// The audit path `PATH(m, D[n])` (RFC 6962 §2.1.1), leaf to root.
    pub fn inclusion_proof(&mut self, m: u64) -> Result<Vec<[u8; 32]>, TileError> {
        if m >= self.tree_size {
            return Err(TileError::OutOfTree {
                height: 0,
                index: m,
                tree_size: self.tree_size,
            });
        }
        let mut path = Vec::new();
        let (mut lo, mut hi) = (0, self.tree_size);
        let mut stack = Vec::new();
        while hi - lo > 1 {
            let n = hi - lo;
            let k = 1u64 << (63 - (n - 1).leading_zeros());
            if m < lo + k {
                stack.push((lo + k, hi));
                hi = lo + k;
            } else {
                stack.push((lo, lo + k));
                lo += k;
            }
        }
        while let Some((a, b)) = stack.pop() {
            path.push(self.range(a, b)?);
        }
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rekor::merkle::{leaf_hash, verify_inclusion};
    use std::collections::HashMap;

    #[test]
    fn index_encoding_follows_c2sp() {
        for (n, s) in [
            (0, "000"),
            (1, "001"),
            (999, "999"),
            (1000, "x001/000"),
            (1_234_067, "x001/x234/067"),
        ] {
            assert_eq!(encode_index(n), s);
            assert_eq!(parse_index(s), Ok((n, 256)));
        }
        assert_eq!(tile_path(0, 1_234_067, 256), "tile/0/x001/x234/067");
        assert_eq!(tile_path(1, 0, 17), "tile/1/000.p/17");
        assert_eq!(entries_path(5, 3), "tile/entries/005.p/3");
        assert_eq!(parse_index("005.p/3"), Ok((5, 3)));
        for bad in [
            "",
            "5",
            "0005",
            "x000/001",
            "001/001",
            "x001",
            "000.p/0",
            "000.p/256",
            "000.p/07",
            "000.p/",
            "000.p/x",
            "x1/000",
            "00a",
            "x001/x002/x003/x004/x005/x006/x007/000",
        ] {
            assert!(parse_index(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn entry_bundles_split() {
        assert_eq!(
            split_entry_bundle(&[0, 1, 7, 0, 2, 8, 9]),
            Some(vec![&[7u8][..], &[8, 9][..]])
        );
        assert_eq!(split_entry_bundle(&[0, 3, 7]), None);
        assert_eq!(split_entry_bundle(&[0]), None);
    }

    /// Builds the tiles of a tree the slow way (every node from the leaves, RFC 6962 MTH) and
    /// checks that roots and audit paths read from them verify, for sizes around tile edges.
    #[test]
    fn proofs_from_tiles_verify() {
        fn mth(l: &[[u8; 32]]) -> [u8; 32] {
            if l.len() == 1 {
                return l[0];
            }
            let k = l.len().next_power_of_two() / 2;
            let k = if k == l.len() { k / 2 } else { k };
            node_hash(&mth(&l[..k]), &mth(&l[k..]))
        }
        for size in [1u64, 2, 3, 255, 256, 257, 600] {
            let leaves: Vec<[u8; 32]> = (0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect();
            let mut tiles: HashMap<String, Vec<u8>> = HashMap::new();
            for level in 0..2u32 {
                let h = level * TILE_HEIGHT;
                let count = size >> h;
                for t in 0..count.div_ceil(TILE_WIDTH) {
                    let width = (count - t * TILE_WIDTH).min(TILE_WIDTH);
                    let mut bytes = Vec::new();
                    for j in 0..width {
                        let i = (t * TILE_WIDTH + j) as usize;
                        let span = 1usize << h;
                        bytes.extend_from_slice(&mth(&leaves[i * span..(i + 1) * span]));
                    }
                    tiles.insert(tile_path(level, t, width), bytes);
                }
            }
            let root = mth(&leaves);
            let mut r = TileReader::new(size, |p: &str| tiles.get(p).cloned());
            assert_eq!(r.root().unwrap(), root, "size {size}");
            for m in [0, size / 2, size - 1] {
                let p = r.inclusion_proof(m).unwrap();
                verify_inclusion(&leaves[m as usize], m, size, &p, &root).unwrap();
            }
            // Tiles with a wrong hash give another root (the root reads the highest tiles
            // that cover it, so every tile is altered); a short tile is an error.
            let mut bad = tiles.clone();
            for t in bad.values_mut() {
                t[0] ^= 1;
            }
            let mut r = TileReader::new(size, |p: &str| bad.get(p).cloned());
            assert_ne!(r.root().unwrap(), root);
            for t in bad.values_mut() {
                t.pop();
            }
            let mut r = TileReader::new(size, |p: &str| bad.get(p).cloned());
            assert!(matches!(r.root(), Err(TileError::WrongLength { .. })));
        }
    }
}
