"""rsoi: an open LP for rear-area support, force apportionment and onward flow (notional data)."""

__version__ = "0.1.0"
