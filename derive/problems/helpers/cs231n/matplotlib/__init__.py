"""A stand-in for matplotlib: importable, and every function does nothing
(no plots are drawn here)."""


def use(*args, **kwargs):
    return None


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return lambda *args, **kwargs: None
