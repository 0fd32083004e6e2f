"""catalog: the reference service that owns product data; orders calls it over HTTP."""
