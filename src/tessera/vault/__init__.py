"""The vault: master key versions, and sealing values under them."""
