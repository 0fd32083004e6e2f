"""orders: the reference service that prices orders by calling catalog over HTTP."""
