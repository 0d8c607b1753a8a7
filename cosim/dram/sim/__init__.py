"""Simulators: the trace-driven controller (`trace_sim`) and the in-order command-stream runner (`commands`)."""
