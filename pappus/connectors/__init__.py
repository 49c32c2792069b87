"""Connected network accounts, encrypted credentials, the Connector protocol and one package per network."""
