"""Tables, figures and text for reports."""
