#!/usr/bin/env python3
"""Build and mutate TUF repositories with python-tuf's Metadata API, the independent
implementation gitseal's TUF client is tested against (tests/integration/tuf.rs, issue 14).

usage: repo.py DIR OP [ARGS...]

DIR/keys holds the test keys (securesystemslib CryptoSigner, PEM; throwaway test keys),
DIR/current the current metadata of each role, DIR/repo what the test HTTP server serves
(consistent snapshots: N.root.json, N.snapshot.json, N.targets.json, timestamp.json,
targets/<sha256>.<name>). Every OP signs with python-tuf / securesystemslib; nothing here
verifies. Ops:

  init TRUSTED_ROOT [SIGNING_CONFIG]   root v1 (ECDSA P-256 root key), timestamp and snapshot
                                       (Ed25519), targets (ECDSA P-384), 1 day expiry
  bump [TS_SECONDS]                    targets, snapshot, timestamp +1 (timestamp expiring in
                                       TS_SECONDS if given: the freeze test)
  set-target NAME FILE                 a new target file, published
  expire ROLE                          ROLE's new version expires in the past (root: N+1)
  rollback ROLE                        ROLE's version goes back (module docs of the test)
  bad-target-hash FILE | bad-target-length FILE | bad-target-longer FILE
                                       publish FILE as trusted_root.json, serve it with a
                                       flipped byte / one byte short / one byte more
  rotate-root | rotate-root-old-only   root N+1 with two new keys (threshold 2), signed by
                                       old and new keys / by the old key only
  mix-and-match                        snapshot names targets N+1, N+1.targets.json is N's
  endless ROLE                         ROLE (timestamp, root) larger than its limit, signed
  client URL                           refresh with python-tuf's ngclient (exit 1: refused)
"""

import hashlib
import os
import shutil
import sys
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    SPECIFICATION_VERSION,
    Key,
    MetaFile,
    Metadata,
    Role,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)

D = sys.argv[1]
REPO = os.path.join(D, "repo")
KEYS = os.path.join(D, "keys")
CUR = os.path.join(D, "current")
SPEC = ".".join(SPECIFICATION_VERSION)


def now():
    return datetime.now(timezone.utc).replace(microsecond=0)


def signer(name, kind="ed25519"):
    path = os.path.join(KEYS, name + ".pem")
    if os.path.exists(path):
        with open(path, "rb") as f:
            return CryptoSigner(load_pem_private_key(f.read(), None))
    if kind == "p256":
        s = CryptoSigner.generate_ecdsa()
    elif kind == "p384":
        s = CryptoSigner.generate_ecdsa(scheme="ecdsa-sha2-nistp384")
    else:
        s = CryptoSigner.generate_ed25519()
    os.makedirs(KEYS, exist_ok=True)
    with open(path, "wb") as f:
        f.write(s.private_bytes)
    return s


def load(role):
    return Metadata.from_file(os.path.join(CUR, role + ".json"))


def save(role, md):
    os.makedirs(CUR, exist_ok=True)
    md.to_file(os.path.join(CUR, role + ".json"))


def sign(md, signers):
    md.signatures.clear()
    for s in signers:
        md.sign(s, append=True)



def root_key_names():
    with open(os.path.join(D, "root-keys")) as f:
        return f.read().split()


def write_repo(name, md):
    os.makedirs(REPO, exist_ok=True)
    md.to_file(os.path.join(REPO, name))


def publish_targets(md):
    sign(md, [signer("targets")])
    save("targets", md)
    write_repo(f"{md.signed.version}.targets.json", md)


def publish_snapshot(md):
    sign(md, [signer("snapshot")])
    save("snapshot", md)
    write_repo(f"{md.signed.version}.snapshot.json", md)


def publish_timestamp(md):
    sign(md, [signer("timestamp")])
    save("timestamp", md)
    write_repo("timestamp.json", md)


def add_target(targets, name, data):
    tf = TargetFile.from_data(name, data, ["sha256", "sha512"])
    # Custom metadata as Sigstore's repository writes it; covered by the signature.
    tf.unrecognized_fields["custom"] = {"sigstore": {"status": "Active", "usage": "Unknown"}}
    targets.signed.targets[name] = tf
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(REPO, "targets"), exist_ok=True)
    with open(os.path.join(REPO, "targets", f"{digest}.{name}"), "wb") as f:
        f.write(data)
    return os.path.join(REPO, "targets", f"{digest}.{name}")


def chain_from(role, expires=None, ts_expires=None, targets_version=None, snap_version=None):
    """Republish ROLE and every role above it with version + 1."""
    if role == "targets":
        t = load("targets")
        t.signed.version += 1
        if expires is not None:
            t.signed.expires = expires
        publish_targets(t)
    if role in ("targets", "snapshot"):
        s = load("snapshot")
        s.signed.version += 1
        tv = targets_version if targets_version is not None else load("targets").signed.version
        s.signed.meta["targets.json"] = MetaFile(version=tv)
        if expires is not None and role == "snapshot":
            s.signed.expires = expires
        publish_snapshot(s)
    ts = load("timestamp")
    ts.signed.version += 1
    sv = snap_version if snap_version is not None else load("snapshot").signed.version
    ts.signed.snapshot_meta = MetaFile(version=sv)
    if role == "timestamp" and expires is not None:
        ts.signed.expires = expires
    if ts_expires is not None:
        ts.signed.expires = ts_expires
    publish_timestamp(ts)


def new_root(keys, threshold, signers, expires=None):
    """Root N+1 whose root role is KEYS (signer names) with THRESHOLD, signed by SIGNERS."""
    root = load("root")
    r = root.signed
    for kid in list(r.roles["root"].keyids):
        r.revoke_key(kid, "root")
    for name in keys:
        r.add_key(signer(name, "p256").public_key, "root")
    r.roles["root"].threshold = threshold
    r.version += 1
    if expires is not None:
        r.expires = expires
    sign(root, [signer(n, "p256") for n in signers])
    save("root", root)
    write_repo(f"{r.version}.root.json", root)
    with open(os.path.join(D, "root-keys"), "w") as f:
        f.write(" ".join(keys))


def init(trusted_root, signing_config=None):
    exp = now() + timedelta(days=1)
    root_key = signer("root1", "p256")
    with open(os.path.join(D, "root-keys"), "w") as f:
        f.write("root1")
    keys = {
        "timestamp": signer("timestamp"),
        "snapshot": signer("snapshot"),
        "targets": signer("targets", "p384"),
    }
    root = Metadata(Root(expires=exp, consistent_snapshot=True))
    root.signed.add_key(root_key.public_key, "root")
    for role, s in keys.items():
        root.signed.add_key(s.public_key, role)
    sign(root, [root_key])
    save("root", root)
    write_repo("1.root.json", root)
    shutil.copy(os.path.join(REPO, "1.root.json"), os.path.join(D, "root.json"))
    targets = Metadata(Targets(expires=exp))
    # Strings whose canonical form is easy to get wrong (OLPC: only quote and backslash are
    # escaped, everything else raw UTF-8, keys sorted by code point): gitseal's signature
    # check must canonicalise them exactly as securesystemslib does.
    targets.signed.unrecognized_fields["x-canonical"] = {
        "quote\"backslash\\": "tab\tnewline\ncontrol\u0001",
        "\u00e9t\u00e9 \u2603 \U0001f512": [0, -1, 18446744073709551615, True, False, None],
        "Z": {"b": "", "a": [], "B": {}},
    }
    with open(trusted_root, "rb") as f:
        add_target(targets, "trusted_root.json", f.read())
    if signing_config:
        with open(signing_config, "rb") as f:
            add_target(targets, "signing_config.v0.2.json", f.read())
    publish_targets(targets)
    snapshot = Metadata(Snapshot(expires=exp))
    snapshot.signed.meta["targets.json"] = MetaFile(version=1)
    publish_snapshot(snapshot)
    ts = Metadata(Timestamp(expires=exp, snapshot_meta=MetaFile(version=1)))
    publish_timestamp(ts)


def main():
    op, args = sys.argv[2], sys.argv[3:]
    past = now() - timedelta(days=1)
    if op == "init":
        init(*args)
    elif op == "bump":
        ts_exp = now() + timedelta(seconds=int(args[0])) if args else None
        chain_from("targets", ts_expires=ts_exp)
    elif op == "set-target":
        t = load("targets")
        with open(args[1], "rb") as f:
            add_target(t, args[0], f.read())
        save("targets", t)
        chain_from("targets")
    elif op in ("bad-target-hash", "bad-target-length", "bad-target-longer"):
        t = load("targets")
        with open(args[0], "rb") as f:
            path = add_target(t, "trusted_root.json", f.read())
        save("targets", t)
        chain_from("targets")
        with open(path, "rb") as f:
            data = bytearray(f.read())
        if op == "bad-target-hash":
            data[len(data) // 2] ^= 0x20
        elif op == "bad-target-length":
            data = data[:-1]
        else:
            data += b"\n"
        with open(path, "wb") as f:
            f.write(bytes(data))
    elif op == "expire":
        role = args[0]
        if role == "root":
            new_root(root_key_names(), 1, root_key_names(), expires=past)
        else:
            chain_from(role, expires=past)
    elif op == "rollback":
        role = args[0]
        if role == "timestamp":
            ts = load("timestamp")
            ts.signed.version -= 1
            publish_timestamp(ts)
        elif role == "snapshot":
            chain_from("timestamp", snap_version=load("snapshot").signed.version - 1)
        elif role == "targets":
            chain_from("snapshot", targets_version=load("targets").signed.version - 1)
        elif role == "root":
            v = load("root").signed.version
            shutil.copy(
                os.path.join(REPO, f"{v}.root.json"), os.path.join(REPO, f"{v + 1}.root.json")
            )
    elif op == "rotate-root":
        old = root_key_names()
        new_root(["rootA", "rootB"], 2, old + ["rootA", "rootB"])
    elif op == "rotate-root-old-only":
        old = root_key_names()
        new_root(["rootA", "rootB"], 2, old)
    elif op == "mix-and-match":
        v = load("targets").signed.version
        chain_from("targets")
        shutil.copy(
            os.path.join(REPO, f"{v}.targets.json"), os.path.join(REPO, f"{v + 1}.targets.json")
        )
    elif op == "endless":
        role = args[0]
        pad = {"x-padding": "A" * (20000 if role == "timestamp" else 600000)}
        if role == "timestamp":
            ts = load("timestamp")
            ts.signed.version += 1
            ts.signed.unrecognized_fields.update(pad)
            publish_timestamp(ts)
        else:
            root = load("root")
            root.signed.version += 1
            root.signed.unrecognized_fields.update(pad)
            sign(root, [signer(n) for n in root_key_names()])
            write_repo(f"{root.signed.version}.root.json", root)
    elif op == "client":
        client(args[0])
    else:
        sys.exit(f"unknown op {op}")


def client(url):
    """python-tuf's own client (ngclient.Updater) refreshing from URL with its state in
    DIR/ngclient: the independent verdict on the same repository. Exit 1 with the error on
    a refusal."""
    from tuf.ngclient import Updater

    meta = os.path.join(D, "ngclient")
    if not os.path.exists(meta):
        os.makedirs(meta)
        shutil.copy(os.path.join(D, "root.json"), os.path.join(meta, "root.json"))
    try:
        u = Updater(
            metadata_dir=meta,
            metadata_base_url=url + "/",
            target_base_url=url + "/targets/",
            target_dir=os.path.join(D, "ngtargets"),
            # None: start from the trusted root.json in the metadata directory.
            bootstrap=None,
        )
        u.refresh()
        info = u.get_targetinfo("trusted_root.json")
        if info is None:
            raise RuntimeError("no trusted_root.json")
        if u.find_cached_target(info) is None:
            u.download_target(info)
    except Exception as e:  # noqa: BLE001 - the verdict is the point
        print(f"python-tuf refused: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
