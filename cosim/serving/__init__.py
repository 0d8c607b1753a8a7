"""Serving simulation: request traces through continuous-batching policies, a paged KV cache and an engine.

The pipeline stage above the step predictor: a discrete-event loop asks an :class:`IterationTimer` how long
each iteration (a list of request slices) takes and turns the answers into TTFT / TPOT / SLO metrics.
"""
