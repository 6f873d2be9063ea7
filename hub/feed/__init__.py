"""The change feed: golden-record events recorded by resolve, read in commit order, and
delivered to webhooks."""
