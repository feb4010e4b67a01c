"""Validate one part file of eval questions (used while writing the gold set)."""
import json, sys, pathlib
CORPUS = pathlib.Path(__file__).resolve().parents[3] / "shared" / "corpus"
KINDS = {"single", "list", "council", "numeric", "paraphrase", "section", "unanswerable"}
texts = {p.name: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}
ok = True
seen = set()
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    if not line.strip():
        continue
    q = json.loads(line)
    for key in ("id", "question", "kind", "evidence", "councils", "answer"):
        if key not in q:
            print(f"line {n}: missing {key}"); ok = False
    if q["id"] in seen:
        print(f"line {n}: duplicate id {q['id']}"); ok = False
    seen.add(q["id"])
    if q["kind"] not in KINDS:
        print(f"line {n}: bad kind {q['kind']}"); ok = False
    if q["kind"] == "unanswerable" and q["evidence"]:
        print(f"line {n}: unanswerable with evidence"); ok = False
    if q["kind"] != "unanswerable" and not q["evidence"]:
        print(f"line {n}: no evidence"); ok = False
    if q["kind"] == "list" and not 2 <= len(q["evidence"]) <= 8:
        print(f"line {n}: list needs 2..8 evidence"); ok = False
    for ev in q["evidence"]:
        t = texts.get(ev["source"])
        if t is None:
            print(f"line {n}: unknown source {ev['source']}"); ok = False; continue
        c = t.count(ev["quote"])
        if c != 1 or not 40 <= len(ev["quote"]) <= 160:
            print(f"line {n}: quote found {c} times, length {len(ev['quote'])}: {ev['quote'][:60]!r}"); ok = False
print("OK" if ok else "PROBLEMS", len(seen), "questions")
