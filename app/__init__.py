"""The edge: command line, API and pages. Imports everything; imported by nothing."""
