"""PIM device models: analytical PIM access streams, KV-cache bank layouts, DIMM-PIM (L3/CHIME, R-PIM) and
HBM-PIM (AttAcc, Samsung, NeuPIMs) decode attention, PIM energy, and the "pim" cost model.

Import the submodules directly (``cosim.perf.pim.dimm_attention`` ...); ``cosim.perf`` imports
``cosim.perf.pim.cost_model`` so the "pim" cost model is registered whenever cost models are looked up.
"""
