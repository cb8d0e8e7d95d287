"""negsim: negotiation and truce scenario simulator."""
__version__ = "0.1.0"
