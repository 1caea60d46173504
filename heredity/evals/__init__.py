"""Heredity's measurements in other tools' formats (inspect_ai tasks and logs)."""
