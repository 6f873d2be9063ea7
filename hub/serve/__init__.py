"""The read API (`relhub serve`): golden records, lookups, search, match on demand and the
steward's review queue over HTTP, for downstream apps with scoped tokens."""
