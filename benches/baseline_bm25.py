"""The baseline of the evaluation sets' READMEs, re-measured beside `wenda bench`.

jieba `lcut_for_search` + rank_bm25 Okapi BM25 over every question variant, best variant
per entry, top score as confidence. Prints top-1 accuracy and per-query latency (p50, p99)
so that wenda's speed can be quoted as a ratio measured on the same machine, in the same
session.

    pip install jieba rank_bm25          # measurement only; wenda does not use them
    python3 benches/baseline_bm25.py ../shared/data/bq-dev
"""

import json
import sys
import time

import jieba
from rank_bm25 import BM25Okapi


def main(data_dir):
    jieba.setLogLevel(60)
    variants, owners = [], []
    with open(f"{data_dir}/kb.jsonl", encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            for q in [e["question"], *e.get("similar", [])]:
                variants.append(jieba.lcut_for_search(q))
                owners.append(e["id"])
    bm25 = BM25Okapi(variants)
    with open(f"{data_dir}/queries.jsonl", encoding="utf-8") as f:
        queries = [json.loads(line) for line in f if line.strip()]
    times, right, labelled = [], 0, 0
    for q in queries:
        start = time.perf_counter()
        scores = bm25.get_scores(jieba.lcut_for_search(q["query"]))
        best = {}
        for owner, score in zip(owners, scores):
            if score > best.get(owner, float("-inf")):
                best[owner] = score
        top = max(best.items(), key=lambda kv: kv[1])
        times.append((time.perf_counter() - start) * 1e6)
        if q.get("expected") is not None:
            labelled += 1
            right += top[0] == q["expected"]
    times.sort()
    pick = lambda p: times[min(len(times) - 1, max(0, int(round(p * len(times) + 0.5)) - 1))]
    print(json.dumps({
        "variants": len(variants),
        "queries": len(queries),
        "top1": right / max(labelled, 1),
        "p50_us": pick(0.50),
        "p99_us": pick(0.99),
    }))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/bq-dev")
