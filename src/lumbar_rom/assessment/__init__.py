"""Assessment stage: the protocol of the six motions and the analysis of each trial."""
