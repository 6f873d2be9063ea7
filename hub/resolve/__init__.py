"""The resolve step: canonical records in the store -> golden records with stable ids.

Read it in the order a resolve runs:
- `step`: the step itself — which records it takes, the engine's run over them, one
  transaction, the report;
- `reach`: what a change reaches (the records an incremental resolve takes again);
- `minting`: golden ids for the engine's clusters, minted ids never issued before;
- `writers`: golden members, golden records (through `survivorship_pages`) and pairs;
- `partitioned`: a full resolve whose pair scoring is spread over workers;
- `source_records`: the source records it reads, and the marks of what it has seen;
- `identity_tables`: golden ids, links and must-links as past resolves left them;
- `index`: the store's blocking index (block digests and normalized values per record),
  read and written;
- `fitted_models`: the models a full resolve fitted, kept for incremental ones.
Generic bulk SQL (chunked `IN` lists, executemany pages) lives in `hub.store.bulk`.
"""

from hub.resolve.step import ResolveReport, resolve

__all__ = ["ResolveReport", "resolve"]
