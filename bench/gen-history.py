#!/usr/bin/env python3
"""Generates a large synthetic git history for Mentor's benchmarks, via `git fast-import`.

Usage: bench/gen-history.py DIR [COMMITS]   (default 50000 commits)

The history looks like a busy team's main branch: ~2 000 files in nested directories, 1–3 files changed per
commit, every 10th change landing as a `Merge pull request #N from …` merge commit, every 7th as a squash
commit ending `(#N)`, some commits with `Mentored-by:`/`Co-authored-by:` trailers, 12 authors of which 4 are in
the config written beside the repo as `.github/mentorship.yml`. Deterministic (fixed seed), so figures compare.
"""
import os
import random
import subprocess
import sys

def main():
    out = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
    rnd = random.Random(42)
    os.makedirs(out, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", out], check=True)
    people = [(f"Dev {i}", f"dev{i}@example.com") for i in range(12)]
    people[0] = ("Alice Example", "alice@example.com")
    people[1] = ("Bob Builder", "bob@example.com")
    people[2] = ("Carol Coder", "carol@example.com")
    people[3] = ("Dan Dev", "dan@example.com")
    dirs = ["src/api", "src/api/v2", "src/core", "src/ui/components", "src/ui/pages", "docs", "tests", "infra/k8s",
            "src/db", "src/auth", "tools", "src/jobs"]
    files = [f"{d}/file{i}.rs" for d in dirs for i in range(170)]
    contents = {}
    t = 1735689600  # 2025-01-01
    step = max(1, (365 * 2 * 86400) // total)  # spread over ~2 years ending near 2026-12
    mark = 0
    pr = 0
    p = subprocess.Popen(["git", "-C", out, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    w = p.stdin.write

    def blob(data):
        nonlocal mark
        mark += 1
        b = data.encode()
        w(b"blob\nmark :%d\ndata %d\n" % (mark, len(b)) + b + b"\n")
        return mark

    def commit(ref, author, when, msg, changes, parents):
        nonlocal mark
        mark += 1
        m = msg.encode()
        w(b"commit %s\nmark :%d\n" % (ref.encode(), mark))
        w(b"author %s <%s> %d +0000\n" % (author[0].encode(), author[1].encode(), when))
        w(b"committer %s <%s> %d +0000\n" % (author[0].encode(), author[1].encode(), when))
        w(b"data %d\n" % len(m) + m + b"\n")
        for i, par in enumerate(parents):
            w(b"%s :%d\n" % (b"from" if i == 0 else b"merge", par))
        for path, bm in changes:
            w(b"M 100644 :%d %s\n" % (bm, path.encode()))
        w(b"\n")
        return mark

    def change_set(n):
        ch = []
        for _ in range(n):
            f = rnd.choice(files)
            contents[f] = contents.get(f, "") + f"line {rnd.random()}\n"
            ch.append((f, blob(contents[f][-4000:])))
        return ch

    head = None
    made = 0
    while made < total:
        t += step
        author = people[rnd.randrange(len(people))]
        r = made % 10
        if r == 9 and head is not None:
            # A feature branch of 1-2 commits merged with a merge commit.
            pr += 1
            branch_head = head
            for _ in range(rnd.randint(1, 2)):
                branch_head = commit("refs/heads/topic", author, t, f"Work on feature {pr}\n", change_set(rnd.randint(1, 3)), [branch_head])
                made += 1
                t += 60
            head = commit("refs/heads/main", people[1], t, f"Merge pull request #{pr} from acme/feature-{pr}\n\nFeature {pr}\n", [], [head, branch_head])
            made += 1
            continue
        msg = f"Change {made}: adjust {rnd.choice(dirs)}\n"
        if made % 7 == 3:
            pr += 1
            msg = f"Improve {rnd.choice(dirs)} handling (#{pr})\n"
        if made % 13 == 5:
            mentor = people[rnd.randrange(4)]
            msg += f"\nSome details about the change.\n\nMentored-by: {mentor[0]} <{mentor[1]}>\n"
        head = commit("refs/heads/main", author, t, msg, change_set(rnd.randint(1, 3)), [head] if head else [])
        made += 1
    p.stdin.close()
    if p.wait() != 0:
        sys.exit("fast-import failed")
    subprocess.run(["git", "-C", out, "reset", "-q", "--hard", "main"], check=True)
    subprocess.run(["git", "-C", out, "branch", "-q", "-D", "topic"], check=False)
    subprocess.run(["git", "-C", out, "remote", "add", "origin", "https://github.com/acme/bench.git"], check=True)
    subprocess.run(["git", "-C", out, "gc", "-q"], check=True)
    print(f"{out}: {made} commits, {pr} pull requests")

main()
