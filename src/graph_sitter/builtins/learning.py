"""Built-in plugin: a learned metric baseline, adaptations and recurring patterns go to learning_db."""
