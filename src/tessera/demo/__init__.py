"""Demo data (``tessera demo seed``) and the demo client (``tessera demo client``).

The seed goes through the same services as the API, so what it creates is what a firm and its
customers would have made by hand. ``samples/`` holds the courier partner's four sample files,
byte for byte, so that a clone (and an installed wheel) can import them.
"""
