"""Small helpers both apps use (spreadsheets, form styling). No models, no project imports.

`customers` may import this package and the engine's domain-name module, nothing
else of `tracker`: the layer test (tests/test_layers.py) holds that.
"""
