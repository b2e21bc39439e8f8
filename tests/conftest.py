"""Hypothesis profiles: `ci` (the default) is derandomized with no deadline,
so the suite is reproducible; `explore` runs many more examples locally:

    HYPOTHESIS_PROFILE=explore pytest
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, max_examples=1000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
