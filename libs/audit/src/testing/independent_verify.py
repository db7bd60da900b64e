#!/usr/bin/env python3
"""An independent verifier of a cohort-audit/1 JSON Lines export, written from libs/audit/README.md alone.

usage: independent_verify.py EXPORT.jsonl PUBLIC_KEY_HEX [PUBLIC_KEY_HEX ...]
prints {"ok": bool, "entries": n, "checkpoints": m, "fault": {"code", "seq", "message"}?} as JSON.

Canonical JSON here is json.dumps(sort_keys=True, separators=(',', ':'), ensure_ascii=False), which matches
RFC 8785 for ASCII keys, strings and integers but not for every float: enough for the tests that run it.
"""
import base64
import hashlib
import json
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ZERO = "0" * 64


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def field(data):
    return struct.pack(">I", len(data)) + data


def entry_hash(e):
    return hashlib.sha256(
        field(b"cohort/v1/audit-entry")
        + struct.pack(">Q", e["seq"])
        + field(e["time"].encode())
        + field(e["actor"].encode())
        + field(e["action"].encode())
        + field(e["subject"].encode())
        + field(canonical(e["details"]).encode())
        + field(bytes.fromhex(e["prevHash"]))
    ).hexdigest()


def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims(c):
    return canonical({"format": "cohort-audit-checkpoint/1", **{k: v for k, v in c.items() if k != "signature"}}).encode()


def signature_ok(c, keys):
    header_b64, payload_b64, sig_b64 = c["signature"].split(".")
    header = json.loads(unb64(header_b64))
    if header != {"alg": "EdDSA", "typ": "cohort-audit-checkpoint+jws", "kid": c["signer"]}:
        return False
    key = keys.get(c["signer"])
    if key is None:
        return False
    try:
        key.verify(unb64(sig_b64), f"{header_b64}.{payload_b64}".encode())
    except InvalidSignature:
        return False
    return unb64(payload_b64) == claims(c)


def verify(lines, keys):
    entries, checkpoints = [], []
    for line in lines:
        record = json.loads(line)
        kind = record.pop("type")
        if kind == "entry":
            entries.append(record)
        elif kind == "checkpoint":
            checkpoints.append(record)
    result = {"ok": False, "entries": len(entries), "checkpoints": len(checkpoints)}

    def fault(code, seq, message):
        result["fault"] = {"code": code, "seq": seq, "message": message}
        return result

    previous = None
    for c in checkpoints:
        if not signature_ok(c, keys):
            return fault("CHECKPOINT_SIGNATURE", c["fromSeq"], f"checkpoint {c['seq']}")
        expected_seq = previous["seq"] + 1 if previous else 1
        if c["seq"] != expected_seq:
            return fault("CHECKPOINT_GAP", previous["toSeq"] + 1 if previous else 1, f"checkpoint {expected_seq} missing")
        expected_prev = hashlib.sha256(claims(previous)).hexdigest() if previous else ZERO
        if c["prevCheckpointHash"] != expected_prev:
            return fault("CHECKPOINT_CHAIN", c["fromSeq"], f"checkpoint {c['seq']}")
        if c["fromSeq"] != (previous["toSeq"] + 1 if previous else 1):
            return fault("CHECKPOINT_GAP", previous["toSeq"] + 1 if previous else 1, "entries between checkpoints")
        previous = c

    by_end = {c["toSeq"]: c for c in checkpoints}
    prev_hash, leaves = ZERO, []
    for position, e in enumerate(entries):
        if e["seq"] != position + 1:
            return fault("SEQUENCE", position + 1, f"expected entry {position + 1}, found {e['seq']}")
        if entry_hash(e) != e["hash"]:
            return fault("HASH_MISMATCH", e["seq"], f"entry {e['seq']}")
        if e["prevHash"] != prev_hash:
            return fault("CHAIN_BROKEN", e["seq"], f"entry {e['seq']}")
        prev_hash = e["hash"]
        leaves.append(bytes.fromhex(e["hash"]))
        c = by_end.get(e["seq"])
        if c:
            if c["headHash"] != e["hash"]:
                return fault("CHECKPOINT_HEAD", c["fromSeq"], f"checkpoint {c['seq']}")
            if mth(leaves).hex() != c["merkleRoot"]:
                return fault("CHECKPOINT_MERKLE", c["fromSeq"], f"checkpoint {c['seq']}")
            leaves = []
    if checkpoints and len(entries) < checkpoints[-1]["toSeq"]:
        return fault("SEQUENCE_GAP", len(entries) + 1, "entries missing before the last checkpoint's end")
    result["ok"] = True
    return result


def main():
    path, key_hexes = sys.argv[1], sys.argv[2:]
    keys = {}
    for key_hex in key_hexes:
        raw = bytes.fromhex(key_hex)
        keys[hashlib.sha256(raw).hexdigest()] = Ed25519PublicKey.from_public_bytes(raw)
    with open(path, encoding="utf-8") as handle:
        print(json.dumps(verify([line for line in handle if line.strip()], keys)))


if __name__ == "__main__":
    main()
