#!/usr/bin/env python3
"""Writes a queue straight into a node's spool, as a node with delivery held would have left it.

usage: fill_spool.py SPOOL_DB RECIPIENTS DOMAINS RCPTS_PER_MESSAGE SHARDS

Each message goes to RCPTS_PER_MESSAGE recipients of one domain; messages are spread round-robin
over DOMAINS domains. The spool must exist (start the node once): this only adds rows, in the
schema's own columns, with each recipient's shard computed by the node's shard function
(FNV-1a 32-bit of the domain, modulo SHARDS). Much faster than SMTP: a million recipients take
seconds, where smtp-source would need one session per domain.
"""
import sqlite3
import sys
import time

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as QueueId


def queue_id(ms, counter):
    value = (ms << 72) | counter
    return "".join(ALPHABET[(value >> (5 * (23 - i))) & 31] for i in range(24))


def shard_of(domain, shards):
    h = 2166136261
    for b in domain.encode("utf-8"):
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h % shards


def main():
    db, recipients, domains, per_message, shards = sys.argv[1], *map(int, sys.argv[2:6])
    messages = recipients // per_message
    now = int(time.time() * 1000) - 60_000
    body = (b"From: <bench@example.com>\r\nTo: <rcpt@example.net>\r\nSubject: scale bench\r\n\r\n"
            + b"x" * 70 + b"\r\n") * 24
    names = [f"d{n:05d}.scale.example" for n in range(domains)]
    shard = [shard_of(d, shards) for d in names]
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("BEGIN")
    batch_m, batch_r = [], []
    for m in range(messages):
        mid = queue_id(now, m)
        d = m % domains
        batch_m.append((mid, "bench@example.com", 0, 0, 0, None, now, len(body), "127.0.0.1", None, body))
        for r in range(per_message):
            batch_r.append((mid, f"u{m}-{r}@{names[d]}", None, 0, names[d], shard[d], 0, 0, now, now))
        if len(batch_m) == 5000 or m == messages - 1:
            con.executemany("INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, "
                            "client_address, auth_user, body) VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch_m)
            con.executemany("INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, "
                            "next_attempt_at, queued_at) VALUES (?,?,?,?,?,?,?,?,?,?)", batch_r)
            batch_m.clear()
            batch_r.clear()
            print(f"\r  filled {m + 1}/{messages} messages", end="", file=sys.stderr, flush=True)
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    print(file=sys.stderr)


if __name__ == "__main__":
    main()
