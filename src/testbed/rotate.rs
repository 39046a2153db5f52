//! Rotation of the testbed's Fulcio CA, published through its TUF repository.
//!
//! Owns the order of a rotation, which is what a real Sigstore operator must get right: make a
//! new root and intermediate, publish a `trusted_root.json` that keeps the old CA (its
//! `validFor` now ends, so certificates it issued still verify) and adds the new one (valid from
//! now) as a new TUF targets version, rewrite the trust files in the directory, and only then
//! let Fulcio issue from the new CA. A rotation is kept in the directory (the new
//! intermediate's key in `DIR/state/keys/fulcio-rotated-N.key.pem`, 0600; both certificates and
//! the rotation time in `DIR/state/fulcio-rotations.json`; the new root's key is dropped once it
//! has signed the intermediate), and [`restore`] replays every rotation when the testbed starts
//! again, so a restart keeps issuing from the newest CA and publishing every CA's window. It
//! decides nothing about trust; it only changes what the testbed serves.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use p384::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{App, Testbed, TestbedError, crypto, fulcio, store, trust, tuf};

/// Seconds the old CA stays valid after the rotation instant: a leaf the old CA issued in the
/// same second, before the swap, still falls inside its window.
const OLD_CA_GRACE: u64 = 5;

/// One persisted rotation (`DIR/state/fulcio-rotations.json` holds them in order).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RotationRecord {
    /// Unix seconds the new CA's window starts (the old one's ends [`OLD_CA_GRACE`] later).
    start: u64,
    /// The new root certificate, DER, base64.
    root: String,
    /// The new intermediate certificate, DER, base64.
    intermediate: String,
    /// `state/keys/<this>.key.pem`: the new intermediate's key.
    key: String,
}

const ROTATIONS_FILE: &str = "state/fulcio-rotations.json";

fn load_rotations(dir: &Path) -> Result<Vec<RotationRecord>, TestbedError> {
    let path = dir.join(ROTATIONS_FILE);
    match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b)
            .map_err(|e| TestbedError::State(format!("{} is not valid: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(TestbedError::Io { path, source }),
    }
}

fn unb64(s: &str, what: &str) -> Result<Vec<u8>, TestbedError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| TestbedError::State(format!("{ROTATIONS_FILE}: {what}: {e}")))
}

/// Replay the rotations recorded in `dir` on a freshly loaded Fulcio and trust documents: the
/// trusted root gets every rotated CA with its window, Fulcio issues from the newest.
pub(super) fn restore(
    dir: &Path,
    mut fulcio: fulcio::Fulcio,
    mut docs: trust::TrustDocs,
) -> Result<(fulcio::Fulcio, trust::TrustDocs), TestbedError> {
    for r in load_rotations(dir)? {
        let key_path = dir.join("state/keys").join(format!("{}.key.pem", r.key));
        let pem = std::fs::read_to_string(&key_path).map_err(|source| TestbedError::Io {
            path: key_path.clone(),
            source,
        })?;
        let key = p384::ecdsa::SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            TestbedError::State(format!(
                "{}: not a P-384 PKCS#8 key: {e}",
                key_path.display()
            ))
        })?;
        let root_der = unb64(&r.root, "root")?;
        let inter_der = unb64(&r.intermediate, "intermediate")?;
        docs.trusted_root = with_new_ca(
            &docs.trusted_root,
            &root_der,
            &inter_der,
            r.start,
            r.start + OLD_CA_GRACE,
        )?;
        fulcio = fulcio.with_new_ca(key, root_der, inter_der)?;
    }
    if let Some(m) = docs.client_trust_config.as_object_mut() {
        m.insert("trustedRoot".into(), docs.trusted_root.clone());
    }
    Ok((fulcio, docs))
}

/// What changed, for [`super::Testbed::rotate_fulcio_ca`] to refresh its trust material.
pub(super) struct Rotated {
    pub trusted_root_json: String,
    pub client_trust_config_json: String,
    pub root_der: Vec<u8>,
    pub intermediate_der: Vec<u8>,
}

/// The documents the testbed currently publishes.
pub(super) struct Published {
    pub trusted_root: Value,
    pub signing_config: Value,
    pub client_trust_config: Value,
}

impl Published {
    /// The TUF targets for these documents: the text written to the directory, byte for byte.
    pub fn targets(&self) -> Result<BTreeMap<String, Vec<u8>>, TestbedError> {
        Ok(BTreeMap::from([
            (
                tuf::TRUSTED_ROOT_TARGET.to_owned(),
                pretty(&self.trusted_root)?.into_bytes(),
            ),
            (
                tuf::SIGNING_CONFIG_TARGET.to_owned(),
                pretty(&self.signing_config)?.into_bytes(),
            ),
        ]))
    }
}

/// The pretty JSON the testbed writes its documents as.
pub(super) fn pretty(v: &Value) -> Result<String, TestbedError> {
    serde_json::to_string_pretty(v).map_err(|e| TestbedError::State(e.to_string()))
}

/// `trusted_root` with every CA that has no end yet ending at `end`, and a new CA (a copy of
/// the last one's shape: subject, uri) with the new chain, valid from `start`.
pub(super) fn with_new_ca(
    trusted_root: &Value,
    root_der: &[u8],
    intermediate_der: &[u8],
    start: u64,
    end: u64,
) -> Result<Value, TestbedError> {
    let mut out = trusted_root.clone();
    let cas = out
        .get_mut("certificateAuthorities")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| TestbedError::State("trusted root without certificateAuthorities".into()))?;
    let template = cas
        .last()
        .cloned()
        .ok_or_else(|| TestbedError::State("trusted root without a CA".into()))?;
    let end = crypto::rfc3339(end)?;
    for ca in cas.iter_mut() {
        if let Some(valid) = ca.get_mut("validFor").and_then(Value::as_object_mut)
            && !valid.contains_key("end")
        {
            valid.insert("end".into(), Value::String(end.clone()));
        }
    }
    let mut new_ca = template;
    if let Some(m) = new_ca.as_object_mut() {
        m.insert(
            "certChain".into(),
            serde_json::json!({"certificates": [
                {"rawBytes": crypto::b64(intermediate_der)},
                {"rawBytes": crypto::b64(root_der)},
            ]}),
        );
        m.insert(
            "validFor".into(),
            serde_json::json!({"start": crypto::rfc3339(start)?}),
        );
    }
    cas.push(new_ca);
    Ok(out)
}

impl App {
    /// Rotate Fulcio's CA (module docs for the order).
    pub(super) fn rotate_fulcio_ca(&self) -> Result<Rotated, TestbedError> {
        let mut published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        let root_key = crypto::new_p384()?;
        let inter_key = crypto::new_p384()?;
        let now = crypto::now_unix();
        let (root_der, inter_der) = fulcio::create_ca_certs(&root_key, &inter_key, now)?;
        drop(root_key);
        // Persist first: a rotation the directory does not remember would be undone by a
        // restart while clients already trust the new CA.
        let mut rotations = load_rotations(&self.dir)?;
        let key_name = format!("fulcio-rotated-{}", rotations.len() + 1);
        let pem = inter_key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| TestbedError::Crypto(e.to_string()))?;
        store::write_atomic(
            &self
                .dir
                .join("state/keys")
                .join(format!("{key_name}.key.pem")),
            pem.as_bytes(),
            true,
        )?;
        rotations.push(RotationRecord {
            start: now,
            root: crypto::b64(&root_der),
            intermediate: crypto::b64(&inter_der),
            key: key_name,
        });
        let text = serde_json::to_vec_pretty(&rotations)
            .map_err(|e| TestbedError::State(e.to_string()))?;
        store::write_atomic(&self.dir.join(ROTATIONS_FILE), &text, false)?;
        let new_fulcio =
            self.fulcio()
                .with_new_ca(inter_key, root_der.clone(), inter_der.clone())?;
        let trusted_root = with_new_ca(
            &published.trusted_root,
            &root_der,
            &inter_der,
            now,
            now + OLD_CA_GRACE,
        )?;
        let mut client = published.client_trust_config.clone();
        if let Some(m) = client.as_object_mut() {
            m.insert("trustedRoot".into(), trusted_root.clone());
        }
        published.trusted_root = trusted_root;
        published.client_trust_config = client;
        let trusted_root_json = pretty(&published.trusted_root)?;
        let client_trust_config_json = pretty(&published.client_trust_config)?;
        let write = |name: &str, text: &str| {
            store::write_atomic(&self.dir.join(name), text.as_bytes(), false)
        };
        write("trusted_root.json", &trusted_root_json)?;
        write("client_trust_config.json", &client_trust_config_json)?;
        write("fulcio-root.pem", new_fulcio.root_pem())?;
        write("fulcio-intermediate.pem", new_fulcio.intermediate_pem())?;
        self.tuf.set_targets(published.targets()?)?;
        *self.fulcio.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(new_fulcio);
        Ok(Rotated {
            trusted_root_json,
            client_trust_config_json,
            root_der,
            intermediate_der: inter_der,
        })
    }

    /// The Fulcio currently issuing.
    pub(super) fn fulcio(&self) -> Arc<fulcio::Fulcio> {
        Arc::clone(&self.fulcio.read().unwrap_or_else(|p| p.into_inner()))
    }
}

impl App {
    /// Carry out one admin-API switch ([`tuf::TufAction`]).
    pub(super) fn tuf_action(&self, a: &tuf::TufAction) -> Result<(), TestbedError> {
        let role = || -> Result<tuf::Role, TestbedError> {
            a.role
                .as_deref()
                .ok_or_else(|| TestbedError::Config(format!("{} needs a role", a.action)))?
                .parse()
        };
        match a.action.as_str() {
            "rotateRoot" => self.tuf.rotate_root(),
            "expire" => self.tuf.expire(role()?),
            "rollback" => self.tuf.rollback(role()?),
            "publish" => self.tuf.publish(),
            "rotateFulcioCa" => self.rotate_fulcio_ca().map(|_| ()),
            "tamperTarget" => self.tuf.tamper_target(
                a.target
                    .as_deref()
                    .ok_or_else(|| TestbedError::Config("tamperTarget needs a target".into()))?,
            ),
            "endlessTimestamp" => self
                .tuf
                .endless_timestamp(a.bytes.unwrap_or(tuf::ENDLESS_DEFAULT_BYTES)),
            other => Err(TestbedError::Config(format!(
                "unknown TUF action {other:?} (rotateRoot, expire, rollback, publish, \
                 rotateFulcioCa, tamperTarget, endlessTimestamp)"
            ))),
        }
    }
}

impl Testbed {
    /// `{base}/tuf`: the TUF repository's metadata URL (targets are below `{base}/tuf/targets`).
    pub fn tuf_url(&self) -> String {
        format!("{}/tuf", self.base_url)
    }

    /// `DIR/tuf-root.json`: the repository's first root, the one clients are given out of band.
    pub fn tuf_root_path(&self) -> PathBuf {
        self.app.tuf.initial_root_path()
    }

    /// The TUF repository and its switches (rotate the root key, expire or roll back a role).
    pub fn tuf(&self) -> &tuf::TufRepo {
        &self.app.tuf
    }

    /// Rotate Fulcio's CA: publish a trusted root with the old CA (now ended) and a new one as a
    /// new TUF targets version, rewrite `trusted_root.json` and `client_trust_config.json`, then
    /// issue from the new CA. [`Testbed::trust`] shows the new material afterwards.
    pub fn rotate_fulcio_ca(&mut self) -> Result<(), TestbedError> {
        let r = self.app.rotate_fulcio_ca()?;
        let t = &mut self.trust;
        t.trusted_root_json = r.trusted_root_json;
        t.client_trust_config_json = r.client_trust_config_json;
        t.fulcio_root_pem = crate::armor::pem("CERTIFICATE", &r.root_der);
        t.fulcio_intermediate_pem = crate::armor::pem("CERTIFICATE", &r.intermediate_der);
        t.fulcio_root_der = r.root_der;
        t.fulcio_intermediate_der = r.intermediate_der;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rotation_ends_the_old_ca_and_adds_the_new() {
        let root = json!({"certificateAuthorities": [
            {"uri": "u", "subject": {"commonName": "c"}, "certChain": {"certificates": []},
             "validFor": {"start": "2020-01-01T00:00:00Z"}},
        ]});
        let out = with_new_ca(&root, b"R", b"I", 100, 105).expect("rotates");
        let cas = out["certificateAuthorities"].as_array().expect("array");
        assert_eq!(cas.len(), 2);
        assert_eq!(cas[0]["validFor"]["end"], "1970-01-01T00:01:45Z");
        assert_eq!(cas[1]["validFor"], json!({"start": "1970-01-01T00:01:40Z"}));
        assert_eq!(cas[1]["uri"], "u");
        assert_eq!(
            cas[1]["certChain"]["certificates"][1]["rawBytes"],
            crypto::b64(b"R")
        );
        // A second rotation leaves the first end alone.
        let again = with_new_ca(&out, b"R2", b"I2", 200, 205).expect("rotates");
        assert_eq!(
            again["certificateAuthorities"][0]["validFor"]["end"],
            "1970-01-01T00:01:45Z"
        );
        assert_eq!(
            again["certificateAuthorities"][1]["validFor"]["end"],
            "1970-01-01T00:03:25Z"
        );
        assert!(with_new_ca(&json!({}), b"R", b"I", 1, 2).is_err());
    }
}
