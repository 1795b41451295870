"""Jobs the worker runs. Each takes ids, reloads, and can run twice safely."""
