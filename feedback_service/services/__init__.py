"""Business rules as plain functions. They flush, never commit; the caller
(a route, a CLI command, a job) owns the transaction."""
