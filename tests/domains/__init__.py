"""Tests of the six domain databases fed by the plugins."""
