"""Built-in plugin: the analysed repository, its project and its contributors go to projects_db."""
