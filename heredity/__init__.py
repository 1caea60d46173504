"""heredity: breed, measure, attribute and trace what students inherit from their teachers."""

__version__ = "0.1.0"
