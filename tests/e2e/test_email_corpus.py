"""Every message of the real-world corpus in ../shared/data goes through the HTTP inbound
endpoint: none crashes the server or gets lost. Accepted messages keep their raw bytes
exactly; only inputs without any header block may be refused (422)."""
import os
from pathlib import Path

import pytest

from sbtest import REPO

DATA = Path(os.environ.get("SB_SHARED_DATA", REPO.parent / "shared" / "data"))
MAX_BYTES = 30 << 20


def corpus_files():
    """The 1,787 RFC 5322 / mbox files that EMAIL-INDEX.tsv lists (see SOURCES.md)."""
    index = DATA / "EMAIL-INDEX.tsv"
    if not index.is_file():
        return []
    files = []
    for line in index.read_text(encoding="utf-8").splitlines()[1:]:
        rel = line.split("\t", 1)[0]
        path = DATA / rel
        if path.is_file() and 0 < path.stat().st_size <= MAX_BYTES:
            files.append(path)
    return files


@pytest.mark.skipif(not DATA.is_dir(), reason=f"{DATA} is not there")
def test_whole_corpus_ingests(server, admin):
    admin.api.post("/api/v1/mailboxes", json={"address": "corpus@support.test"}, expect=(201, 409))
    files = corpus_files()
    assert len(files) > 1000, f"only {len(files)} corpus files found under {DATA}"
    accepted, refused, failures = [], [], []
    for path in files:
        raw = path.read_bytes()
        r = admin.api.post("/api/v1/inbound/email", data=raw, params={"mailbox": "corpus@support.test"},
                           headers={"Content-Type": "message/rfc822"})
        if r.status_code in (200, 201):
            accepted.append((path, raw, r.json()))
        elif r.status_code == 422:
            refused.append(path)
        else:
            failures.append((path, r.status_code, r.text[:200]))
    assert not failures, failures[:10]
    # Refusing is only for bytes that are no email at all.
    assert len(refused) <= 5, [str(p) for p in refused[:20]]
    # Nothing accepted is lost: its raw bytes come back exactly, its text is readable.
    # (a duplicate Message-ID in another corpus file answers with the first message)
    for path, raw, res in [a for a in accepted if not a[2]["duplicate"]][::7]:
        msgs = admin.api.get(f"/api/v1/conversations/{res['conversation_id']}/messages", expect=200).json()["items"]
        m = next(m for m in msgs if m["id"] == res["message_id"])
        assert m["raw_url"], path
        back = admin.api.get(m["raw_url"], expect=200).content
        assert back == raw, f"{path}: raw bytes changed"
        assert isinstance(m["body_text"], str)
    print(f"corpus: {len(files)} files, {len(accepted)} accepted, {len(refused)} refused")
