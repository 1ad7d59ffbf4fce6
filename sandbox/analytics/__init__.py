"""Analytics over the store: pure Python and numerical libraries, no web, no Qt."""
