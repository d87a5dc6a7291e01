"""The seed's experiments: sweeps over instances, their CSV/JSON records and their figures."""
