"""Relhub's process plumbing: work handed to forked worker processes, their cleanup kept
whole under a stop, and the collector kept out of bulk work.

Below both the hub and the identity engine, which both use it; it imports nothing of
theirs. One mechanism: a worker is forked (it inherits what it needs, lambdas and
compiled mappings included), takes items through a pipe read ahead by a thread, sends
outcomes back, and dies with its parent.
"""
