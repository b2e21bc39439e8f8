"""A stand-in for the course's dataset module: importable, so a homework file
that imports it at the top loads; using it fails with a clear message (the
dataset files are not part of a code check)."""


class StanfordSentiment:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("the StanfordSentiment dataset is not available in this environment; "
                           "functions receive a dataset object as an argument instead")
