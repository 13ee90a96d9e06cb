#!/usr/bin/env python3
"""An independent check of a Bazaar draw (the algorithm of Giveaways/FairDraw.cs), standard library only.
usage: python3 scripts/verify-draw.py draw.json   (the JSON of GET /api/v1/giveaways/{id}/draw)"""
import hashlib, hmac, json, sys

def winners(d):
    seed = bytes.fromhex(d["seed"])
    assert hashlib.sha256(seed).hexdigest() == d["commitment"].lower(), "SHA-256(seed) != commitment"
    pool = sorted(d["eligible_ids"])
    list_hash = hashlib.sha256("".join(f"{i}\n" for i in pool).encode()).hexdigest()
    context = f'{d["domain"]}\n{d["draw_id"]}\n{list_hash}\n{d.get("beacon") or ""}'
    key = hmac.new(seed, context.encode(), hashlib.sha256).digest()
    def stream():
        i = 0
        while True:
            block = hmac.new(key, i.to_bytes(8, "big"), hashlib.sha256).digest()
            for k in range(4):
                yield int.from_bytes(block[8 * k:8 * k + 8], "big")
            i += 1
    xs = stream()
    def below(m):
        r = 2**64 % m
        while True:
            x = next(xs)
            if x <= 2**64 - 1 - r:
                return x % m
    skipped = {r["position"]: r["participant_id"] for r in d.get("re_rolls", [])}
    out, p = [], 0
    while len(out) < d["winner_count"] and p < len(pool):
        j = p + below(len(pool) - p)
        pool[p], pool[j] = pool[j], pool[p]
        if p in skipped:
            assert skipped[p] == pool[p], f"re-roll at {p} names {skipped[p]}, drawn {pool[p]}"
        else:
            out.append(pool[p])
        p += 1
    return list_hash, out

if __name__ == "__main__":
    d = json.load(open(sys.argv[1]))
    list_hash, w = winners(d)
    ok = w == d["winners"] and list_hash == d.get("participant_list_hash", list_hash)
    print(("OK" if ok else "MISMATCH") + f": winners {w}")
    sys.exit(0 if ok else 1)
