"""The auditor's commands end to end: `gate packet`, `gate archive` and `gate verify` (archive and tag).

Every test works on a copy of examples/go or examples/no-go in tmp_path and drives the real command
in-process (`run_gate` from tests/conftest.py). What an auditor checks without Python is checked here with
the real `tar` and `sha256sum`; tampered archives are built with `tarfile`, exactly as an attacker would.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shlex
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import (
    AREAS,
    EXAMPLE,
    EXAMPLES,
    GO_DECISION,
    copy_example,
    drop_decisions,
    git,
    iso,
    read_manifest,
    reapprove_and_decide,
    sha256sum,
)

PACKET = "_docs/operations/mainnet-launch-packet.md"  # packet.location in the examples' checklist.yaml
ARCHIVED_PACKET = "LAUNCH-PACKET.md"  # where the archive carries its packet (its root)
DECIDED_AT = iso(EXAMPLE.decided_at)
HOLDS_GO = f"HOLDS: GO recorded in {GO_DECISION} at {DECIDED_AT}"
TAG = "mainnet-v1.0.0"
SUMS = "SHA256SUMS"
MANIFEST_SUMS = "MANIFEST.SHA256SUMS"
TAMPERED = "evidence/security/threat-model.md"

RunGate = Callable[..., tuple[int, str, str]]
Files = list[tuple[tarfile.TarInfo, bytes | None]]


# ---- helpers -----------------------------------------------------------------------------------------


@pytest.fixture
def go(tmp_path: Path) -> Path:
    return copy_example(tmp_path, "go")


@pytest.fixture
def nogo(tmp_path: Path) -> Path:
    return copy_example(tmp_path, "no-go")


def decision(repo: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((repo / GO_DECISION).read_text(encoding="utf-8"))
    return data


def packet(run_gate: RunGate, repo: Path, *extra: str) -> str:
    code, out, err = run_gate("packet", "--repo", repo, *extra)
    assert code == 0, err
    return (repo / out.removeprefix("wrote ").strip()).read_text(encoding="utf-8")


def capture(run_gate: RunGate, repo: Path, capture_id: str, *argv: str) -> None:
    """`gate evidence capture` of a command for an item whose sign-off no decision depends on (no-go only)."""
    code, _, err = run_gate(
        "evidence", "capture", "--repo", repo, "--item", "D-genesis-checksum", "--id", capture_id, "--supporting",
        "--", *argv,
    )  # fmt: skip
    assert code == 0, err


def section(text: str, heading: str) -> str:
    """The body under one Markdown heading, up to the next heading of any level."""
    start = text.index(heading + "\n") + len(heading) + 1
    end = text.find("\n#", start)
    return text[start : end if end != -1 else len(text)]


def archive(run_gate: RunGate, repo: Path, out: Path) -> Path:
    code, stdout, err = run_gate("archive", "--repo", repo, out)
    assert code == 0, err
    assert stdout == f"{sha256sum(out)}  {out}\n"
    return out


def read_archive(path: Path) -> Files:
    with tarfile.open(path) as tar:
        return [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()]  # type: ignore[union-attr]


def write_archive(path: Path, files: Files) -> Path:
    """A .tar.gz with exactly these members, as an attacker would build it with Python."""
    with tarfile.open(path, mode="w:gz") as tar:
        for info, data in files:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def replace_member(files: Files, name: str, change: Callable[[bytes], bytes]) -> Files:
    assert name in [m.name for m, _ in files]
    return [(m, change(d) if m.name == name and d is not None else d) for m, d in files]


def resummed(files: Files) -> Files:
    """SHA256SUMS recomputed over the (tampered) members: what an attacker with sha256sum would do."""
    listing = "".join(
        f"{hashlib.sha256(d).hexdigest()}  {m.name}\n"
        for m, d in sorted(files, key=lambda f: f[0].name.encode())
        if d is not None and m.name != SUMS
    ).encode()
    return replace_member(files, SUMS, lambda _: listing)


def untar(path: Path, dest: Path) -> Path:
    dest.mkdir()
    subprocess.run(["tar", "-xzf", str(path), "-C", str(dest)], check=True)
    return dest


def sha256sum_check(folder: Path, listing: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sha256sum", "-c", listing], cwd=folder, capture_output=True, text=True, check=False)


def touch_all(repo: Path, when: float) -> None:
    for path in [repo, *repo.rglob("*")]:
        os.utime(path, (when, when))


@pytest.fixture
def go_archive(tmp_path: Path, go: Path, run_gate: RunGate) -> Path:
    return archive(run_gate, go, tmp_path / "go.tar.gz")


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder whose `tmp/` is where `gate verify` unpacks: anything escaping lands in `scratch`."""
    root = tmp_path / "scratch"
    (root / "tmp").mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(root / "tmp"))
    return root


# ---- gate packet -------------------------------------------------------------------------------------


def test_packet_is_written_at_packet_location(go, run_gate):
    code, out, err = run_gate("packet", "--repo", go)
    assert (code, out, err) == (0, f"wrote {PACKET}\n", "")
    text = (go / PACKET).read_text(encoding="utf-8")
    assert text.startswith("# Launch packet — VirtEngine Mainnet Launch (example)\n")
    assert "Decision computed: **GO**" in text


def test_packet_out_writes_anywhere_the_same_bytes(tmp_path, go, run_gate):
    default = packet(run_gate, go).encode()
    target = tmp_path / "audit" / "packet.md"  # outside the repository: a packet is not launch input
    code, out, _ = run_gate("packet", "--repo", go, "--out", target)
    assert (code, out) == (0, f"wrote {target}\n")
    assert target.read_bytes() == default


def test_packet_never_overwrites_registered_evidence(go, run_gate):
    """The blocker a release manager hit: the default output was the registered packet evidence."""
    registered = "evidence/product/mainnet-launch-packet.md"
    text = (go / "checklist.yaml").read_text(encoding="utf-8")
    (go / "checklist.yaml").write_text(text.replace(f"location: {PACKET}", f"location: {registered}"), encoding="utf-8")
    before = (go / registered).read_bytes()
    for argv in ([], ["--out", go / registered]):
        code, out, err = run_gate("packet", "--repo", go, *argv)
        assert (code, out) == (2, "")
        assert f"{registered} is registered evidence (launch-packet)" in err
        assert "Write it elsewhere with --out FILE" in err
        assert (go / registered).read_bytes() == before


def test_packet_scorecard_matches_the_gate(go, run_gate):
    text = packet(run_gate, go)
    code, out, _ = run_gate("check", "--repo", go, "--format", "json", "--at", DECIDED_AT)
    assert code == 0
    card = json.loads(out)
    scorecard = section(text, "## Scorecard")
    assert len(card["items"]) > 30
    for item in card["items"]:
        assert f"| {item['state']} | {item['priority']} | `{item['id']}` |" in scorecard, item["id"]
    for s in card["signoffs"]:
        assert f"| {s['name']} | {s['status']} | yes | {s['approver']} | `{s['current_digest']}` |" in scorecard
    recorded = decision(go)
    assert f"manifest SHA-256 `{recorded['manifest_sha256']}`" in text
    assert f"scorecard SHA-256 `{recorded['scorecard_sha256']}`" in text


def test_packet_lists_every_artifact_with_its_real_sha256(go, run_gate):
    artifacts = section(packet(run_gate, go), "## Artifacts")
    entries = read_manifest(go)["artifacts"]
    assert len(entries) > 40
    for a in entries:
        real = sha256sum(go / a["path"])
        size = (go / a["path"]).stat().st_size
        assert (real, size) == (a["sha256"], a["size"])
        assert f"| `{a['id']}` | `{a['path']}` | `{real}` | {size} | {a['captured_at']} |" in artifacts, a["id"]
    assert artifacts.count("\n| `") == len(entries)


@pytest.mark.parametrize("name", ["go", "no-go"])
def test_packet_shows_every_captured_command(tmp_path, run_gate, name):
    repo = copy_example(tmp_path, name)
    text = packet(run_gate, repo)
    commands = read_manifest(repo)["commands"]
    assert {c["id"] for c in commands} == {"dependency-audit", "genesis-checksum", "dispute-workflow-test"}
    for c in commands:
        body = section(text, f"### `{c['id']}`")
        assert f"- argv: `{' '.join(c['argv'])}`" in body
        assert f"- exit code: {c['exit_code']}\n" in body
        assert f"started {c['started_at']}, ended {c['ended_at']}" in body
        stdout = (repo / "evidence/captures" / c["stdout"]).read_text(encoding="utf-8").rstrip("\n")
        assert stdout
        assert f"stdout:\n\n```text\n{stdout}\n```" in body
    if name == "no-go":  # the failing dispute workflow test is shown failing
        assert "- exit code: 1\n" in section(text, "### `dispute-workflow-test`")


def test_packet_excerpts_long_output(nogo, run_gate):
    script = "for i in range(500): print(f'line {i:04d}')"
    capture(run_gate, nogo, "long-output", sys.executable, "-c", script)
    body = section(packet(run_gate, nogo), "### `long-output`")
    assert "line 0000\nline 0001\n" in body
    assert "line 0499" not in body
    assert "``` (excerpt)" in body


def test_packet_argv_keeps_argument_boundaries(nogo, run_gate):
    argv = ["sh", "-c", "echo hi there"]
    capture(run_gate, nogo, "sh", *argv)
    assert f"- argv: `{shlex.join(argv)}`" in section(packet(run_gate, nogo), "### `sh`")


def test_packet_meeting_record_lists_attendees_by_role(go, run_gate):
    meeting = section(packet(run_gate, go), "## Go/no-go meeting record")
    recorded = decision(go)
    assert f"`{GO_DECISION}` — **GO**, window primary, release tag {TAG}" in meeting
    attendees = recorded["meeting"]["attendees"]
    assert {a["role"] for a in attendees} >= {"security-lead", "compliance-lead", "ops-lead", "finance-lead"}
    for a in attendees:
        assert f"| {a['role']} | {a['login']} |" in meeting


def test_packet_without_a_decision_says_so(nogo, run_gate):
    text = packet(run_gate, nogo)
    assert "Decision computed: **NO-GO**" in text
    assert section(text, "## Go/no-go meeting record").strip() == "No decision recorded yet."
    assert "Blocking:" in section(text, "## Scorecard")


def test_packet_at_a_moment_shows_only_the_decision_in_force_then(go, run_gate):
    """Before the GO was taken the packet has no meeting to show; from then on it shows the GO's."""
    before = packet(run_gate, go, "--at", iso(EXAMPLE.decided_at - timedelta(hours=1)))
    assert "no go/no-go decision recorded" in section(before, "## Scorecard")
    assert section(before, "## Go/no-go meeting record").strip() == "No decision recorded yet."
    assert GO_DECISION not in before
    after = packet(run_gate, go, "--at", iso(EXAMPLE.decided_at + timedelta(hours=1)))
    meeting = section(after, "## Go/no-go meeting record")
    assert f"- record: `{GO_DECISION}` — **GO**, window primary, release tag {TAG}" in meeting
    assert f"decided {DECIDED_AT}" in meeting
    assert "no go/no-go decision recorded" not in after


@pytest.mark.parametrize("name", ["go", "no-go"])
def test_packet_is_deterministic(tmp_path, run_gate, name):
    repo = copy_example(tmp_path, name)
    first = packet(run_gate, repo).encode()
    assert packet(run_gate, repo).encode() == first
    touch_all(repo, time.time() + 86400)
    assert packet(run_gate, repo).encode() == first
    other = copy_example(tmp_path, name, dest="elsewhere")
    assert packet(run_gate, other).encode() == first


# ---- gate archive ------------------------------------------------------------------------------------


def test_archive_is_reproducible(tmp_path, go, run_gate):
    first = archive(run_gate, go, tmp_path / "one.tar.gz")
    time.sleep(1.1)
    code, out, _ = run_gate("archive", "--repo", go, tmp_path / "two.tar.gz")
    assert code == 0
    assert (tmp_path / "two.tar.gz").read_bytes() == first.read_bytes()
    assert out == f"{sha256sum(first)}  {tmp_path / 'two.tar.gz'}\n"


def test_archive_does_not_depend_on_mtimes_location_or_output_name(tmp_path, go, run_gate):
    first = archive(run_gate, go, tmp_path / "one.tar.gz").read_bytes()
    other = copy_example(tmp_path, "go", dest="checkout-elsewhere")
    touch_all(other, time.time() + 86400)
    assert archive(run_gate, other, tmp_path / "out" / "renamed.tgz").read_bytes() == first


def test_archive_headers_are_normalised(go_archive):
    data = go_archive.read_bytes()
    assert data[:2] == b"\x1f\x8b"
    assert data[4:8] == b"\x00\x00\x00\x00"  # gzip MTIME
    members = [m for m, _ in read_archive(go_archive)]
    for m in members:
        assert m.isfile(), m.name
        assert (m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) == (0, 0, 0, "", "", 0o644), m.name
        assert not {"mtime", "atime", "ctime", "uid", "gid", "uname", "gname"} & set(m.pax_headers), m.name
    names = [m.name for m in members]
    # SHA256SUMS leads (an auditor reads it first); everything after it is in byte order.
    assert names[0] == SUMS
    assert names[1:] == sorted(names[1:], key=str.encode)
    assert len(set(names)) == len(names)


def test_archive_holds_everything_an_auditor_needs(tmp_path, go, go_archive, run_gate):
    files = {m.name: d for m, d in read_archive(go_archive)}
    expected = {"checklist.yaml", "evidence-manifest.json", SUMS, MANIFEST_SUMS, ARCHIVED_PACKET}
    expected |= {f"signoffs/{a}.yaml" for a in AREAS} | {GO_DECISION}
    expected |= {p.relative_to(go).as_posix() for p in (go / "schemas").rglob("*.schema.json")}
    expected |= {a["path"] for a in read_manifest(go)["artifacts"]}
    assert set(files) == expected
    for name in expected - {SUMS, MANIFEST_SUMS, ARCHIVED_PACKET}:
        assert files[name] == (go / name).read_bytes(), name
    assert files[ARCHIVED_PACKET] == packet(run_gate, go).encode()


def test_archive_verifies_with_tar_and_sha256sum_alone(tmp_path, go, go_archive):
    folder = untar(go_archive, tmp_path / "unpacked")
    result = sha256sum_check(folder, SUMS)
    assert result.returncode == 0, result.stdout + result.stderr
    listed = {line.removesuffix(": OK") for line in result.stdout.splitlines()}
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert listed == present - {SUMS}
    assert sha256sum_check(folder, MANIFEST_SUMS).returncode == 0
    assert sha256sum(folder / MANIFEST_SUMS) == decision(go)["manifest_sha256"]


# ---- gate verify ARCHIVE -----------------------------------------------------------------------------


def test_verify_go_archive_holds(go_archive, run_gate, scratch):
    code, out, err = run_gate("verify", go_archive)
    assert (code, out, err) == (0, HOLDS_GO + "\n", "")
    assert list((scratch / "tmp").iterdir()) == []  # the unpacked copy is cleaned up


def test_tampered_artifact_is_caught_by_sha256sum_and_by_the_gate(tmp_path, go_archive, run_gate):
    files = replace_member(read_archive(go_archive), TAMPERED, lambda d: d + b"one more line\n")
    bad = write_archive(tmp_path / "bad.tar.gz", files)
    result = sha256sum_check(untar(bad, tmp_path / "unpacked"), SUMS)
    assert result.returncode == 1
    assert f"{TAMPERED}: FAILED" in result.stdout
    code, out, _ = run_gate("verify", bad)
    assert code == 1
    assert f"{TAMPERED}: SHA-256 does not match {SUMS}" in out
    assert f"integrity: {TAMPERED}: SHA-256 is" in out
    assert out.endswith(f"DOES NOT HOLD: GO recorded in {GO_DECISION} at {DECIDED_AT}\n")


def test_regenerated_sums_do_not_fool_the_gate(tmp_path, go_archive, run_gate):
    files = resummed(replace_member(read_archive(go_archive), TAMPERED, lambda d: d + b"one more line\n"))
    bad = write_archive(tmp_path / "bad.tar.gz", files)
    folder = untar(bad, tmp_path / "unpacked")
    assert sha256sum_check(folder, SUMS).returncode == 0  # the attacker's listing agrees with itself
    assert sha256sum_check(folder, MANIFEST_SUMS).returncode == 1  # the recorded digests do not
    code, out, _ = run_gate("verify", bad)
    assert code == 1
    assert f"does not match {SUMS}" not in out
    assert f"integrity: {TAMPERED}: SHA-256 is" in out
    assert "DOES NOT HOLD" in out


def test_rewritten_manifest_is_caught_by_the_decision_digest(tmp_path, go_archive, run_gate):
    """The attacker also rewrites the manifest entry (and both listings): the decision's digest catches it."""
    new = b"replaced threat model\n"
    digest = hashlib.sha256(new).hexdigest()

    def rewrite(raw: bytes) -> bytes:
        data = json.loads(raw)
        entry = next(a for a in data["artifacts"] if a["path"] == TAMPERED)
        entry.update(sha256=digest, size=len(new))
        return json.dumps(data, indent=2).encode()

    files = replace_member(read_archive(go_archive), TAMPERED, lambda _: new)
    files = replace_member(files, "evidence-manifest.json", rewrite)
    files = resummed(files)
    code, out, _ = run_gate("verify", write_archive(tmp_path / "bad.tar.gz", files))
    assert code == 1
    assert "integrity:" not in out
    recorded = next(
        line.split(": ", 1)[1]
        for line in next((EXAMPLES / "go" / "decisions").glob("*.yaml")).read_text().splitlines()
        if line.startswith("manifest_sha256: ")
    )
    assert f"manifest digest recorded {recorded[:8]}" in out
    assert "DOES NOT HOLD" in out


def link(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def plain(name: str, data: bytes = b"written by the archive\n") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def hostile_members(scratch: Path, victim: Path) -> dict[str, Files]:
    return {
        "dotdot": [plain("../escape.txt"), plain("evidence/../../escape2.txt")],
        "absolute": [plain(str(scratch / "abs-escape.txt"))],
        "symlink": [link("evidence/out", str(scratch), tarfile.SYMTYPE), plain("evidence/out/via-link.txt")],
        "symlink-relative": [link("evidence/up", "../../..", tarfile.SYMTYPE)],
        "hardlink": [link("evidence/hl", str(victim), tarfile.LNKTYPE), plain("evidence/hl", b"overwritten\n")],
    }


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "symlink-relative", "hardlink"])
def test_members_leaving_the_folder_are_refused(tmp_path, go_archive, run_gate, scratch, kind):
    victim = scratch / "victim.txt"
    victim.write_text("original\n")
    extra = hostile_members(scratch, victim)[kind]
    bad = write_archive(tmp_path / "hostile.tar.gz", read_archive(go_archive) + extra)
    code, out, err = run_gate("verify", bad)
    assert code == 1
    assert "archive refused" in err
    assert extra[0][0].name in err
    assert "HOLDS" not in out
    assert sorted(p.name for p in scratch.iterdir()) == ["tmp", "victim.txt"]
    assert list((scratch / "tmp").iterdir()) == []
    assert victim.read_text() == "original\n"


def corrupt(tmp_path: Path, go_archive: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.tar.gz"
    contents = {
        "text": b"this is not an archive\n",
        "empty": b"",
        "random": bytes(range(256)) * 4,
        "truncated": go_archive.read_bytes()[:4000],
    }
    if kind in contents:
        path.write_bytes(contents[kind])
    elif kind == "folder":
        path.mkdir()
    return path


@pytest.mark.parametrize("kind", ["text", "empty", "random", "truncated", "missing", "folder"])
def test_unreadable_archive_is_an_input_error(tmp_path, go_archive, run_gate, kind):
    path = corrupt(tmp_path, go_archive, kind)
    code, out, err = run_gate("verify", path)
    assert code == 2
    assert err.startswith(f"gate: {path}: not a readable archive")
    assert "Traceback" not in err
    assert "HOLDS" not in out


def test_archive_without_a_decision_does_not_hold(tmp_path, nogo, run_gate):
    code, out, _ = run_gate("verify", archive(run_gate, nogo, tmp_path / "nogo.tar.gz"))
    assert code == 1
    assert run_gate("verify", tmp_path / "nogo.tar.gz", "--require-go")[0] == 1
    assert "no decision is recorded" in out
    assert out.endswith("DOES NOT HOLD: no decision\n")


@pytest.mark.parametrize("argv", [["verify"], ["verify", "x.tar.gz", "--tag", TAG]])
def test_verify_needs_exactly_one_of_archive_or_tag(run_gate, argv):
    code, _, err = run_gate(*argv)
    assert code == 2
    assert "give an ARCHIVE or --tag TAG" in err


def test_archive_without_sha256sums_is_refused(tmp_path, go_archive, run_gate):
    files = [(m, d) for m, d in read_archive(go_archive) if m.name != SUMS]
    code, out, _ = run_gate("verify", write_archive(tmp_path / "nosums.tar.gz", files))
    assert code == 1
    assert f"{SUMS} is missing" in out


def test_altered_manifest_listing_is_caught(tmp_path, go, go_archive, run_gate):
    def alter(listing: bytes) -> bytes:
        return listing.replace(f"  {TAMPERED}\n".encode(), b"  evidence/security/threat-model.txt\n")

    files = resummed(replace_member(read_archive(go_archive), MANIFEST_SUMS, alter))
    bad = write_archive(tmp_path / "bad.tar.gz", files)
    assert sha256sum(untar(bad, tmp_path / "unpacked") / MANIFEST_SUMS) != decision(go)["manifest_sha256"]
    code, _, _ = run_gate("verify", bad)
    assert code == 1


def test_altered_packet_is_caught(tmp_path, go, go_archive, run_gate):
    real = next(a["sha256"] for a in read_manifest(go)["artifacts"] if a["path"] == TAMPERED)
    files = resummed(
        replace_member(read_archive(go_archive), ARCHIVED_PACKET, lambda d: d.replace(real.encode(), b"0" * 64))
    )
    code, _, _ = run_gate("verify", write_archive(tmp_path / "bad.tar.gz", files))
    assert code == 1


def test_archive_of_a_launch_whose_packet_is_evidence_verifies(tmp_path, go, run_gate, cli):
    checklist = go / "checklist.yaml"
    text = checklist.read_text(encoding="utf-8")
    assert text.count(f"location: {PACKET}") == 1
    checklist.write_text(text.replace(PACKET, "evidence/product/mainnet-launch-packet.md"), encoding="utf-8")
    # The checklist changed after the GO: that GO no longer holds, and the meeting decides again.
    assert run_gate("check", "--repo", go, "--require-go", "--at", DECIDED_AT)[0] == 1
    drop_decisions(go)
    again = reapprove_and_decide(cli, go, EXAMPLE.decided_at)
    code, out, _ = run_gate("verify", archive(run_gate, go, tmp_path / "go.tar.gz"))
    when = iso(EXAMPLE.decided_at + timedelta(minutes=1))
    assert (code, out) == (0, f"HOLDS: GO recorded in {again} at {when}\n")


# ---- gate verify --tag -------------------------------------------------------------------------------


@pytest.fixture
def tagged(go: Path) -> Path:
    """examples/go committed to a real git repository and tagged as released."""
    git(go, "init", "-q")
    git(go, "add", "-A")
    git(go, "commit", "-q", "-m", "GO")
    git(go, "tag", "-a", TAG, "-m", "mainnet release")
    return go


def test_verify_tag_holds(tagged, run_gate):
    assert run_gate("verify", "--tag", TAG, "--repo", tagged) == (0, HOLDS_GO + "\n", "")
    assert run_gate("verify", "--tag", TAG, "--repo", tagged, "--require-go") == (0, HOLDS_GO + "\n", "")


def test_tag_verifies_what_was_released_not_what_came_after(tagged, run_gate):
    with (tagged / "evidence/security/vuln-scan.txt").open("a") as fh:
        fh.write("a later edit\n")
    git(tagged, "commit", "-q", "-am", "edit evidence after the release")
    assert run_gate("check", "--repo", tagged, "--at", DECIDED_AT)[0] == 1  # the working tree is broken
    assert run_gate("verify", "--tag", TAG, "--repo", tagged) == (0, HOLDS_GO + "\n", "")
    git(tagged, "tag", "-a", "mainnet-v1.0.1", "-m", "broken")
    code, out, _ = run_gate("verify", "--tag", "mainnet-v1.0.1", "--repo", tagged)
    assert code == 1
    assert "integrity: evidence/security/vuln-scan.txt" in out
    assert "DOES NOT HOLD" in out


def test_uncommitted_changes_do_not_touch_the_tag(tagged, run_gate):
    (tagged / TAMPERED).write_text("overwritten, not committed\n")
    assert run_gate("verify", "--tag", TAG, "--repo", tagged)[0] == 0


def test_a_tag_holding_more_than_max_size_is_refused_before_anything_is_written(tagged, run_gate, scratch):
    """A commit is input like any other: megabytes of zeros pack to almost nothing in git, and used to be
    written out whole whatever --max-size said."""
    with (tagged / "evidence" / "zeros.bin").open("wb") as fh:
        fh.truncate(20 * 1024 * 1024)
    git(tagged, "add", "-A")
    git(tagged, "commit", "-q", "-m", "a large file")
    git(tagged, "tag", "-a", "big", "-m", "big")
    code, out, err = run_gate("verify", "--tag", "big", "--repo", tagged, "--max-size", "1000000")
    assert code == 1
    assert "refs/tags/big: refused: its files hold" in err
    assert "more than 1000000 (the limit; see --max-size)" in err
    assert "HOLDS" not in out
    assert list((scratch / "tmp").iterdir()) == []  # nothing was written out
    assert run_gate("verify", "--tag", TAG, "--repo", tagged, "--max-size", "1000000")[0] == 0  # the release is small


@pytest.mark.parametrize("tag", ["", " "])
def test_an_empty_tag_is_a_usage_error(tagged, run_gate, tag):
    """A script's unset $TAG: exit 2 saying so (it was an internal error)."""
    code, _, err = run_gate("verify", "--tag", tag, "--repo", tagged)
    assert code == 2
    assert "--tag is empty" in err


def test_unknown_tag_is_an_input_error(tagged, run_gate):
    code, _, err = run_gate("verify", "--tag", "no-such-tag", "--repo", tagged)
    assert code == 2
    assert "no-such-tag" in err
