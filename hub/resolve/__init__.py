"""The resolve step: canonical records in the store -> golden records with stable ids.

Read it in the order a resolve runs:
- `step`: the step itself — what changed since the last resolve, what that reaches, the
  engine's run over it, and the writers of golden ids, golden records and pairs;
- `source_records`: the source records it reads, and the marks of what it has seen;
- `identity_tables`: golden ids, links and must-links as past resolves left them;
- `index`: the store's blocking index (block digests and normalized values per record);
- `fitted_models`: the models a full resolve fitted, kept for incremental ones.
Generic bulk SQL (chunked `IN` lists, executemany pages) lives in `hub.store.bulk`.
"""

from hub.resolve.step import ResolveReport, resolve

__all__ = ["ResolveReport", "resolve"]
