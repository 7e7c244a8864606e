"""Experiments: units of work, a resumable results store, and the commands built on them."""
