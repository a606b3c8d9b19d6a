"""The one error every delivery raises: the receiver did not take the message."""


class DeliveryError(Exception):
    """The receiver did not take the message: a short reason, kept with the event and logged."""
