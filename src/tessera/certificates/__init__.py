"""The firms' PKI: the deployment's certificate authority and the certificates it issues."""
