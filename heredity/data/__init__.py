"""Datasets that ship offline (never downloaded at run time), as store artifacts."""
