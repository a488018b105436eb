"""Example plug-ins for mikmc, installed as a separate distribution (``pip install ./examples/plugins``).

Nothing here is imported by mikmc: the two classes are found through the entry points in this
package's pyproject.toml, exactly as any user's package would be.
"""
