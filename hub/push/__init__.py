"""Push-back: the golden record's id and chosen fields written into the source systems.

`outbox` turns what a resolve changed into queued writes (only where the source differs);
`drain` sends them through each target's connector, once each, however often it is rerun.
"""
