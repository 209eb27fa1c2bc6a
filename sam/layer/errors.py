"""The one error of the layer build: every step raises it, the command line reports it."""


class LayerBuildError(RuntimeError):
    """A layer could not be built, or the built layer is unusable."""
