"""Datasets as plug-ins: `base.Dataset` says what a dataset is, one module per dataset implements
it, and `registry.DATASETS` lists them (see docs/ADDING-A-DATASET.md)."""
