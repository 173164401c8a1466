# A package, so that Tests/shell/conftest.py is imported as shell.conftest and does not
# replace Tests/conftest.py as sys.modules["conftest"] (Tests/test_*.py import from it).
