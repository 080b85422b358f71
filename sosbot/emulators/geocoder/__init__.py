"""A Nominatim-compatible geocoder for the sandbox and the tests, answering from the
gazetteer file (read by path: the emulator imports nothing of production)."""
