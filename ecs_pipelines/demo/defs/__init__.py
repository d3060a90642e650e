"""The demo's definitions declared in YAML (``dg list defs`` lists them): one folder per
``EcsTaskComponent`` instance, each with its ``defs.yaml``."""
