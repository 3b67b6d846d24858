"""`wp2zola batch`: many migrations from one jobs file, in parallel, resumable, shardable.

jobs (read and check the jobs file, pick a shard) → worker (one job in its own process: skip it when
nothing changed since its last success, else `migrate` it) → run (the process pool, stopping it, the
JSON report).
"""
