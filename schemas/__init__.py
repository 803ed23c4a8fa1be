"""marshmallow schemas: `...Args` for inputs, plain names for outputs."""
