"""Measured data and `cosim validate`: how far cosim's predictions are from real hardware.

``measurement`` holds the record type and the fixed held-out split; ``datasets`` the loaders (peer
data and user CSV); ``predict`` maps a record to cosim's public prediction API; ``stats`` the
error table; ``report`` the HTML report.
"""

from cosim.validate.measurement import MEASUREMENT_KINDS, Measurement, in_split, is_holdout

__all__ = ["MEASUREMENT_KINDS", "Measurement", "in_split", "is_holdout"]
