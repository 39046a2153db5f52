//! RFC 6962 Merkle tree arithmetic for the testbed's Rekor log.
//!
//! Owns the server side of the tree: leaf and node hashes (RFC 6962 §2.1, domain-separated with
//! 0x00 / 0x01), the Merkle Tree Hash of a prefix of the log, audit paths (RFC 6962 §2.1.1,
//! ordered leaf to root as Rekor returns them) and consistency proofs (§2.1.2). It works on a
//! slice of leaf hashes and recomputes subtrees on every call: the testbed's logs hold at most a
//! few thousand entries, and simple recursion that mirrors the RFC text is easier to trust than a
//! cached tree. It must not verify anything on behalf of clients (the verification core owns
//! that), so there is deliberately no `verify_*` here: tests carry their own independent verifier.

use sha2::{Digest, Sha256};

/// A SHA-256 tree hash.
pub type Hash = [u8; 32];

/// `MTH({d})` = SHA-256(0x00 ‖ d) (RFC 6962 §2.1).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// Interior node = SHA-256(0x01 ‖ left ‖ right) (RFC 6962 §2.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly smaller than `n` (the `k` of RFC 6962 §2.1); `n >= 2`.
fn split_point(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// Merkle Tree Hash over the given leaf hashes. The hash of the empty tree is SHA-256 of the
/// empty string (RFC 6962 §2.1).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split_point(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// Audit path `PATH(m, D[n])` for leaf `m` (RFC 6962 §2.1.1), ordered from the leaf's sibling
/// up to the root's child. Returns `None` when `m` is not a leaf of the tree.
pub fn inclusion_proof(m: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    if m >= leaves.len() {
        return None;
    }
    let mut path = Vec::new();
    audit_path(m, leaves, &mut path);
    Some(path)
}

fn audit_path(m: usize, leaves: &[Hash], out: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split_point(n);
    if m < k {
        audit_path(m, &leaves[..k], out);
        out.push(root(&leaves[k..]));
    } else {
        audit_path(m - k, &leaves[k..], out);
        out.push(root(&leaves[..k]));
    }
}

/// Consistency proof `PROOF(m, D[n])` between the first `m` leaves and all of `leaves`
/// (RFC 6962 §2.1.2). `None` unless `1 <= m <= n`. For `m == n` the proof is empty.
pub fn consistency_proof(m: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    if m == 0 || m > leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    subproof(m, leaves, true, &mut out);
    Some(out)
}

fn subproof(m: usize, leaves: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            out.push(root(leaves));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, out);
        out.push(root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(root(&leaves[..k]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("entry-{i}").as_bytes()))
            .collect()
    }

    /// RFC 9162 §2.1.3.2, written out independently of the generator above.
    fn verify_inclusion(index: usize, size: usize, leaf: Hash, path: &[Hash], root: Hash) -> bool {
        if index >= size {
            return false;
        }
        let (mut f_n, mut s_n) = (index, size - 1);
        let mut r = leaf;
        for p in path {
            if s_n == 0 {
                return false;
            }
            if f_n % 2 == 1 || f_n == s_n {
                r = node_hash(p, &r);
                while f_n % 2 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            } else {
                r = node_hash(&r, p);
            }
            f_n >>= 1;
            s_n >>= 1;
        }
        s_n == 0 && r == root
    }

    #[test]
    fn inclusion_proofs_verify_for_every_leaf() {
        for n in 1..=17 {
            let l = leaves(n);
            let r = root(&l);
            for (m, leaf) in l.iter().enumerate() {
                let p = inclusion_proof(m, &l).expect("leaf in range");
                assert!(verify_inclusion(m, n, *leaf, &p, r), "n={n} m={m}");
            }
            assert!(inclusion_proof(n, &l).is_none());
        }
    }

    #[test]
    fn known_small_trees() {
        let l = leaves(3);
        assert_eq!(root(&l), node_hash(&node_hash(&l[0], &l[1]), &l[2]));
        assert_eq!(root(&[]), <[u8; 32]>::from(Sha256::digest([])));
        // RFC 6962 §2.1.3 example shapes: PROOF(3, D[7]) has four hashes.
        let l7 = leaves(7);
        assert_eq!(consistency_proof(3, &l7).map(|p| p.len()), Some(4));
        assert_eq!(consistency_proof(4, &l7).map(|p| p.len()), Some(1));
        assert_eq!(consistency_proof(7, &l7).map(|p| p.len()), Some(0));
        assert!(consistency_proof(0, &l7).is_none());
    }
}
