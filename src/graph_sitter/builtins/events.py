"""Built-in plugin: analysis lifecycle events and findings go to events_db."""
