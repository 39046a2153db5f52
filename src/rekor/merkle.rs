//! RFC 6962 / RFC 9162 Merkle hashing and inclusion-proof verification.
//!
//! Pure functions over hashes. The index given to [`verify_inclusion`] is the *shard-local*
//! leaf index of the proof (`inclusionProof.logIndex`), never the global log index: the public
//! Rekor is sharded and the two differ (compat §3.6).

use sha2::{Digest, Sha256};

/// Why an inclusion proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// RFC 9162 §2.1.3.2 step 1: the leaf index is not inside the tree.
    #[error("leaf index {index} is not inside a tree of size {tree_size}")]
    IndexOutOfRange {
        /// Leaf index.
        index: u64,
        /// Tree size.
        tree_size: u64,
    },
    /// The audit path has more or fewer hashes than the tree shape needs.
    #[error("the audit path has the wrong length for leaf {index} of {tree_size}")]
    WrongPathLength {
        /// Leaf index.
        index: u64,
        /// Tree size.
        tree_size: u64,
    },
    /// The path leads to a different root.
    #[error("the audit path leads to root {computed}, not {expected}")]
    RootMismatch {
        /// Root the path computes (hex).
        computed: String,
        /// Root the proof claims (hex).
        expected: String,
    },
}

/// `MTH({d})` for a leaf: SHA-256(0x00 ‖ data) (RFC 6962 §2.1).
pub fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// An interior node: SHA-256(0x01 ‖ left ‖ right) (RFC 6962 §2.1).
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Computes the root an audit path leads to (RFC 9162 §2.1.3.2 steps 1–5, without the final
/// comparison).
pub fn root_from_inclusion_proof(
    leaf: &[u8; 32],
    index: u64,
    tree_size: u64,
    path: &[[u8; 32]],
) -> Result<[u8; 32], MerkleError> {
    if index >= tree_size {
        return Err(MerkleError::IndexOutOfRange { index, tree_size });
    }
    let mut fnode = index;
    let mut snode = tree_size - 1;
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return Err(MerkleError::WrongPathLength { index, tree_size });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(MerkleError::WrongPathLength { index, tree_size });
    }
    Ok(r)
}

/// Verifies that `leaf` is at `index` in the tree of `tree_size` whose root is `root`.
pub fn verify_inclusion(
    leaf: &[u8; 32],
    index: u64,
    tree_size: u64,
    path: &[[u8; 32]],
    root: &[u8; 32],
) -> Result<(), MerkleError> {
    let computed = root_from_inclusion_proof(leaf, index, tree_size, path)?;
    if &computed != root {
        return Err(MerkleError::RootMismatch {
            computed: hex::encode(computed),
            expected: hex::encode(root),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference MTH (RFC 6962 §2.1) and PATH, computed recursively, to cross-check the
    /// iterative verifier on every (index, size) of small trees.
    fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
        match leaves.len() {
            1 => leaves[0],
            n => {
                let k = (n as u64).next_power_of_two() as usize / 2;
                let k = if k == n { k / 2 } else { k };
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }
    fn path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
        let n = leaves.len();
        if n == 1 {
            return vec![];
        }
        let k = (n as u64).next_power_of_two() as usize / 2;
        let k = if k == n { k / 2 } else { k };
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    #[test]
    fn every_leaf_of_small_trees_verifies() {
        for n in 1..=20usize {
            let leaves: Vec<[u8; 32]> = (0..n).map(|i| leaf_hash(&[i as u8])).collect();
            let root = mth(&leaves);
            for m in 0..n {
                let p = path(m, &leaves);
                verify_inclusion(&leaves[m], m as u64, n as u64, &p, &root).unwrap();
                // Wrong index, tampered hash, truncated and extended paths all fail.
                if n > 1 {
                    let other = (m + 1) % n;
                    assert!(
                        verify_inclusion(&leaves[m], other as u64, n as u64, &p, &root).is_err()
                    );
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert!(verify_inclusion(&leaves[m], m as u64, n as u64, &bad, &root).is_err());
                    assert!(
                        verify_inclusion(&leaves[m], m as u64, n as u64, &p[..p.len() - 1], &root)
                            .is_err()
                    );
                }
                let mut long = p.clone();
                long.push([0; 32]);
                assert!(verify_inclusion(&leaves[m], m as u64, n as u64, &long, &root).is_err());
            }
        }
    }

    #[test]
    fn index_outside_tree_is_rejected() {
        assert_eq!(
            root_from_inclusion_proof(&[0; 32], 5, 5, &[]),
            Err(MerkleError::IndexOutOfRange {
                index: 5,
                tree_size: 5
            })
        );
    }
}
