"""verify: the comparison side of gradkey (numerics, instances, checks, CLI)."""
from .compare import Comparison, compare
from .consistency import check_question, numeric_gradient
from .instances import random_instance, seeded_instances

__all__ = ["Comparison", "check_question", "compare", "numeric_gradient", "random_instance", "seeded_instances"]
