"""Persian retrieval core: normalize, chunk, embed, index and search.

This package is the base of the project and imports none of the others. Importing it does
no work; models and hazm load only when an object that needs them is built.
"""
