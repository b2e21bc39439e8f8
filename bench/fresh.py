"""Forget what was read, keep what was derived: a timed pass over texts already read once
would otherwise find every step's parse and every answer's rewrites memoised (the parse
memo is keyed by the text; the rewrites by the tree it returns). A new submission finds
neither, except the steps other students wrote identically; derivations, instances and
truths stay warm, as they are after a class's first file."""


def forget_texts() -> None:
    from gradkey.verify.check import sets
    from gradkey.verify.read import extract, latex
    latex._READ.clear()
    extract._equation_rows.cache_clear()
    sets._RESPELT.clear()
    sets._WINDOW_SUMS.clear()
    sets._CALLED.clear()
