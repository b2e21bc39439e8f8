"""Python 2 names that CS231n starter code imports from the `future` package."""
xrange = range
range = range
zip = zip
map = map
filter = filter
input = input
basestring = str
unicode = str
