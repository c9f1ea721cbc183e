"""Caller matching for every host: which columns are matched (``tables``) and the index kept fresh (``sync``)."""
