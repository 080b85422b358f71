"""The command centre's periodic digest: figures, text, charts and a map of a period."""
