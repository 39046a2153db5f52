//! ECDSA verification per backend, in milliseconds per verification (best of five batches),
//! on messages the size of what gitseal verifies: P-256 over ~250 bytes (CMS signed
//! attributes, SCT, SET, checkpoint), P-384 with SHA-384 over ~750 bytes (a Fulcio leaf's TBS,
//! signed by the intermediate). Keys and signatures are made fresh with RustCrypto.

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use std::time::Instant;

fn time(name: &str, n: u32, mut f: impl FnMut() -> bool) {
    for _ in 0..n / 10 {
        assert!(f(), "{name}: a good signature must verify");
    }
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..n {
            assert!(f());
        }
        best = best.min(t.elapsed().as_secs_f64() / f64::from(n) * 1e3);
    }
    println!("{name:28} {best:.4} ms");
}

fn main() {
    let msg256 = vec![0x31u8; 250];
    let msg384 = vec![0x30u8; 750];
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("OS random numbers");
    let k256 = p256::ecdsa::SigningKey::from_slice(&seed).expect("P-256 key");
    let mut seed48 = [0u8; 48];
    getrandom::fill(&mut seed48).expect("OS random numbers");
    let k384 = p384::ecdsa::SigningKey::from_slice(&seed48).expect("P-384 key");
    let s256: p256::ecdsa::Signature = k256.sign(&msg256);
    let s384: p384::ecdsa::Signature = k384.sign(&msg384);
    let (d256, d384) = (s256.to_der().to_bytes(), s384.to_der().to_bytes());
    let (v256, v384) = (*k256.verifying_key(), *k384.verifying_key());
    let pt256 = v256.to_sec1_point(false).as_bytes().to_vec();
    let pt384 = v384.to_sec1_point(false).as_bytes().to_vec();

    time("p256 0.14 (RustCrypto)", 2000, || {
        p256::ecdsa::Signature::from_der(&d256).is_ok_and(|s| v256.verify(&msg256, &s).is_ok())
    });
    time("p384 0.14 (RustCrypto)", 1000, || {
        p384::ecdsa::Signature::from_der(&d384).is_ok_and(|s| v384.verify(&msg384, &s).is_ok())
    });
    use ring::signature as r;
    let r256 = r::UnparsedPublicKey::new(&r::ECDSA_P256_SHA256_ASN1, &pt256);
    let r384 = r::UnparsedPublicKey::new(&r::ECDSA_P384_SHA384_ASN1, &pt384);
    time("ring 0.17 P-256", 5000, || {
        r256.verify(&msg256, &d256).is_ok()
    });
    time("ring 0.17 P-384", 1000, || {
        r384.verify(&msg384, &d384).is_ok()
    });
    use aws_lc_rs::signature as a;
    let a256 = a::UnparsedPublicKey::new(&a::ECDSA_P256_SHA256_ASN1, &pt256);
    let a384 = a::UnparsedPublicKey::new(&a::ECDSA_P384_SHA384_ASN1, &pt384);
    time("aws-lc-rs 1 P-256", 5000, || {
        a256.verify(&msg256, &d256).is_ok()
    });
    time("aws-lc-rs 1 P-384", 2000, || {
        a384.verify(&msg384, &d384).is_ok()
    });
}
