"""What the OpenAPI document says beyond the routes: examples and each operation's errors."""
