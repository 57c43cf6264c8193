"""Ray Serve deployments, the web UI's static files and the `rayshop` command line."""
