//! HTTPS for the testbed (`gitseal-testbed serve --tls`, [`super::TestbedConfig::tls`]): a
//! certificate authority of its own, a server certificate it issues for `127.0.0.1`,
//! `localhost` and `::1`, and a TLS front that terminates TLS (rustls on aws-lc-rs, the provider
//! the client uses) and relays the bytes to the plain HTTP listener on another loopback port.
//!
//! Relaying instead of serving TLS in tiny_http keeps one HTTP stack (tiny_http's TLS support
//! is on rustls 0.20, a second TLS generation) and leaves the services unaware of TLS, as they
//! are behind a real load balancer. It binds 127.0.0.1 only and knows nothing of Sigstore.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, TcpListener, TcpStream};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use const_oid::AssociatedOid;
use der::Encode;
use der::asn1::{Ia5String, OctetString};
use p384::pkcs8::EncodePrivateKey;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};
use x509_cert::name::Name;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use super::TestbedError;
use super::crypto;
use super::fulcio::{CertSpec, ca_extensions, der_err, ext, random_serial, ski_of, time_at};

/// The testbed's TLS certificate authority and the server certificate it issued.
pub struct TlsCa {
    ca_der: Vec<u8>,
    leaf_der: Vec<u8>,
    leaf_key_pkcs8: zeroize::Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for TlsCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsCa").finish_non_exhaustive()
    }
}

impl TlsCa {
    /// A new CA (P-384, valid from a day ago for a year) named `name`, and a server
    /// certificate for 127.0.0.1, ::1 and localhost (serverAuth), both fresh keys.
    pub fn new(name: &str) -> Result<Self, TestbedError> {
        let now = crypto::now_unix();
        let validity = Validity::new(
            time_at(now.saturating_sub(86_400))?,
            time_at(now + 365 * 86_400)?,
        );
        let ca_key = crypto::new_p384()?;
        let leaf_key = crypto::new_p384()?;
        let ca_name = Name::from_str(&format!("CN={name},O=gitseal-testbed")).map_err(der_err)?;
        let leaf_name = Name::from_str("CN=127.0.0.1,O=gitseal-testbed").map_err(der_err)?;
        let ca_spki =
            SubjectPublicKeyInfoOwned::from_key(ca_key.verifying_key()).map_err(der_err)?;
        let leaf_spki =
            SubjectPublicKeyInfoOwned::from_key(leaf_key.verifying_key()).map_err(der_err)?;
        let ca_ski = ski_of(&ca_spki);
        let ca_exts = ca_extensions(&ca_ski, 0)?;
        let ip = |b: &[u8]| OctetString::new(b.to_vec()).map(GeneralName::IpAddress);
        let sans = SubjectAltName(vec![
            ip(&Ipv4Addr::LOCALHOST.octets()).map_err(der_err)?,
            ip(&Ipv6Addr::LOCALHOST.octets()).map_err(der_err)?,
            GeneralName::DnsName(Ia5String::new("localhost").map_err(der_err)?),
        ]);
        let leaf_exts = [
            ext(
                BasicConstraints::OID,
                true,
                &BasicConstraints {
                    ca: false,
                    path_len_constraint: None,
                },
            )?,
            ext(
                KeyUsage::OID,
                true,
                &KeyUsage(KeyUsages::DigitalSignature.into()),
            )?,
            ext(
                ExtendedKeyUsage::OID,
                false,
                &ExtendedKeyUsage(vec![const_oid::db::rfc5280::ID_KP_SERVER_AUTH]),
            )?,
            ext(SubjectAltName::OID, false, &sans)?,
            ext(
                AuthorityKeyIdentifier::OID,
                false,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(OctetString::new(ca_ski).map_err(der_err)?),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
            )?,
        ];
        let build = |subject: &Name, spki: &SubjectPublicKeyInfoOwned, exts: &[Extension]| {
            CertSpec {
                subject: subject.clone(),
                issuer: ca_name.clone(),
                serial: random_serial()?,
                validity,
                spki: spki.clone(),
                exts,
            }
            .sign(&ca_key)?
            .to_der()
            .map_err(der_err)
        };
        let ca_der = build(&ca_name, &ca_spki, &ca_exts)?;
        let leaf_der = build(&leaf_name, &leaf_spki, &leaf_exts)?;
        let leaf_key_pkcs8 = leaf_key
            .to_pkcs8_der()
            .map_err(der_err)?
            .as_bytes()
            .to_vec();
        Ok(Self {
            ca_der,
            leaf_der,
            leaf_key_pkcs8: zeroize::Zeroizing::new(leaf_key_pkcs8),
        })
    }

    /// The CA certificate, DER.
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// The CA certificate, PEM (what `DIR/tls-ca.pem` holds).
    pub fn ca_pem(&self) -> String {
        crate::armor::pem("CERTIFICATE", &self.ca_der)
    }

    /// A rustls server configuration presenting the server certificate and the CA.
    fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TestbedError> {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let provider = crate::net::tls::crypto_provider();
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TestbedError::Crypto(format!("TLS: {e}")))?
            .with_no_client_auth()
            .with_single_cert(
                vec![
                    CertificateDer::from(self.leaf_der.clone()),
                    CertificateDer::from(self.ca_der.clone()),
                ],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf_key_pkcs8.to_vec())),
            )
            .map_err(|e| TestbedError::Crypto(format!("TLS: {e}")))?;
        Ok(Arc::new(config))
    }
}

/// A running TLS front: accepts TLS on 127.0.0.1 and relays each connection to the plain
/// listener at `backend`.
pub struct TlsFront {
    port: u16,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TlsFront {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFront")
            .field("port", &self.port)
            .finish()
    }
}

/// How long a relayed connection may sit idle before it is closed.
const IDLE_LIMIT: Duration = Duration::from_secs(120);
/// Polling step of the relay (each direction is read with this timeout in turn).
const POLL: Duration = Duration::from_millis(2);

impl TlsFront {
    /// Binds `127.0.0.1:port` (0: any free port) and relays to `127.0.0.1:backend`.
    pub fn start(ca: &TlsCa, port: u16, backend: u16) -> Result<Self, TestbedError> {
        let config = ca.server_config()?;
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| TestbedError::Http(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| TestbedError::Http(e.to_string()))?
            .port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = Arc::clone(&stop);
        let acceptor = std::thread::Builder::new()
            .name("testbed-tls-accept".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(tcp) = conn else { continue };
                    let (config, stop) = (Arc::clone(&config), Arc::clone(&stop2));
                    let _ = std::thread::Builder::new()
                        .name("testbed-tls-relay".into())
                        .spawn(move || relay(tcp, backend, config, &stop));
                }
            })
            .map_err(|e| TestbedError::Http(format!("cannot spawn the TLS acceptor: {e}")))?;
        Ok(Self {
            port,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops accepting (relays end with their connections or at the stop flag).
    pub fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.acceptor.take() {
            let _ = h.join();
        }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn would_block(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// One connection: TLS from the client, plain bytes to and from the backend, until either
/// side closes, the connection idles past [`IDLE_LIMIT`], or the testbed stops.
fn relay(tcp: TcpStream, backend: u16, config: Arc<rustls::ServerConfig>, stop: &AtomicBool) {
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let Ok(mut plain) = TcpStream::connect(("127.0.0.1", backend)) else {
        return;
    };
    if tcp.set_read_timeout(Some(POLL)).is_err() || plain.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    let _ = tcp.set_nodelay(true);
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut buf = vec![0u8; 16 * 1024];
    let mut last = Instant::now();
    while !stop.load(Ordering::SeqCst) && last.elapsed() < IDLE_LIMIT {
        match tls.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if plain.write_all(&buf[..n]).is_err() {
                    break;
                }
                last = Instant::now();
            }
            Err(e) if would_block(&e) => {}
            Err(_) => break,
        }
        match plain.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if tls.write_all(&buf[..n]).and_then(|()| tls.flush()).is_err() {
                    return;
                }
                last = Instant::now();
            }
            Err(e) if would_block(&e) => {}
            Err(_) => break,
        }
    }
    tls.conn.send_close_notify();
    let _ = tls.flush();
}
