//! The Merkle tree against the published test vectors of certificate transparency (the roots of the first one
//! to eight leaves of the reference implementations' test data), and every inclusion and consistency proof of
//! trees up to 40 leaves verifying, while any changed hash, index or size does not.
#![allow(clippy::unwrap_used)]

use lpaflow_core::merkle::{
    Hash, consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion,
};

fn vector_leaves() -> Vec<Hash> {
    let data: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    data.iter().map(|d| leaf_hash(d)).collect()
}

#[test]
fn roots_match_the_reference_test_vectors() {
    let expected = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let leaves = vector_leaves();
    for (n, want) in expected.iter().enumerate() {
        assert_eq!(hex::encode(root(&leaves[..=n])), *want, "size {}", n + 1);
    }
    assert_eq!(
        hex::encode(root(&[])),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

fn leaves(n: usize) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
}

fn flip(h: &Hash) -> Hash {
    let mut h = *h;
    h[0] ^= 1;
    h
}

#[test]
fn every_inclusion_proof_verifies_and_no_altered_one_does() {
    for n in 1..=40usize {
        let all = leaves(n);
        let r = root(&all);
        for i in 0..n {
            let proof = inclusion_proof(&all, i);
            let (i64, n64) = (i as u64, n as u64);
            assert!(
                verify_inclusion(i64, n64, &all[i], &proof, &r),
                "{i} of {n}"
            );
            assert!(!verify_inclusion(i64, n64, &flip(&all[i]), &proof, &r));
            assert!(!verify_inclusion(i64, n64, &all[i], &proof, &flip(&r)));
            assert!(!verify_inclusion(i64 + 1, n64, &all[i], &proof, &r) || n == 1);
            assert!(!verify_inclusion(n64, n64, &all[i], &proof, &r));
            if let Some(first) = proof.first() {
                let mut bad = proof.clone();
                bad[0] = flip(first);
                assert!(!verify_inclusion(i64, n64, &all[i], &bad, &r));
            }
        }
    }
}

#[test]
fn every_consistency_proof_verifies_and_no_altered_one_does() {
    for n in 1..=40usize {
        let all = leaves(n);
        let new_root = root(&all);
        for m in 1..=n {
            let old_root = root(&all[..m]);
            let proof = consistency_proof(&all, m);
            let (m64, n64) = (m as u64, n as u64);
            assert!(
                verify_consistency(m64, n64, &old_root, &new_root, &proof),
                "{m} -> {n}"
            );
            assert!(!verify_consistency(
                m64,
                n64,
                &flip(&old_root),
                &new_root,
                &proof
            ));
            assert!(!verify_consistency(
                m64,
                n64,
                &old_root,
                &flip(&new_root),
                &proof
            ));
            if let Some(first) = proof.first() {
                let mut bad = proof.clone();
                bad[0] = flip(first);
                assert!(!verify_consistency(m64, n64, &old_root, &new_root, &bad));
            }
        }
    }
}

#[test]
fn a_rewritten_leaf_before_the_old_size_is_not_consistent() {
    let all = leaves(20);
    let old_root = root(&all[..13]);
    let mut rewritten = all.clone();
    rewritten[5] = flip(&rewritten[5]);
    let proof = consistency_proof(&rewritten, 13);
    assert!(!verify_consistency(
        13,
        20,
        &old_root,
        &root(&rewritten),
        &proof
    ));
}
