"""The R package's bridge to the Python core (reticulate passes plain values across it)."""
